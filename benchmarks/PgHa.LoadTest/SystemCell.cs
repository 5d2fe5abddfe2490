namespace PgHa.LoadTest;

/// <summary>What one system did in one cell (a workload at a client count), over the measured rounds.</summary>
internal sealed class SystemCell(int nodes)
{
    /// <summary>Throughput of each measured round, in round order (aligned across the systems of a cell).</summary>
    public List<double> OpsPerSecond { get; } = [];

    public LatencyHistogram Latency { get; } = new();

    public long[] ReadsByNode { get; } = new long[nodes + 1];

    public long[] WritesByNode { get; } = new long[nodes + 1];

    public long Errors { get; set; }

    public string? FirstError { get; set; }

    public void Add(ClientState[] states, int clients, double opsPerSecond)
    {
        OpsPerSecond.Add(opsPerSecond);
        for (var i = 0; i < clients; i++)
        {
            var state = states[i];
            state.Latency.AddTo(Latency);
            for (var n = 0; n < ReadsByNode.Length; n++)
            {
                ReadsByNode[n] += state.ReadsByNode[n];
                WritesByNode[n] += state.WritesByNode[n];
            }

            Errors += state.Errors;
            FirstError ??= state.FirstError;
        }
    }
}
