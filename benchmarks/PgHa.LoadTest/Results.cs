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

/// <summary>One workload at one client count: every system's results, measured in the same rounds.</summary>
internal sealed class Cell(Mix mix, int clients, IEnumerable<SystemKind> systems, int nodes)
{
    public Mix Mix { get; } = mix;

    public int Clients { get; } = clients;

    public Dictionary<SystemKind, SystemCell> Systems { get; } = systems.ToDictionary(s => s, _ => new SystemCell(nodes));

    /// <summary>Each measured round's throughput of <paramref name="a"/> divided by <paramref name="b"/>'s.</summary>
    public IEnumerable<double> RoundRatios(SystemKind a, SystemKind b) =>
        Systems[a].OpsPerSecond.Zip(Systems[b].OpsPerSecond, (x, y) => x / y);

    /// <summary>Median over the measured rounds of <paramref name="a"/>'s throughput divided by <paramref name="b"/>'s in the same round.</summary>
    public (double Median, double Low, double High) Ratio(SystemKind a, SystemKind b)
    {
        var x = Systems[a].OpsPerSecond;
        var y = Systems[b].OpsPerSecond;
        var ratios = new double[x.Count];
        for (var i = 0; i < ratios.Length; i++)
            ratios[i] = x[i] / y[i];
        return (Stats.Median(ratios), Stats.Percentile(ratios, 0.25), Stats.Percentile(ratios, 0.75));
    }
}

/// <summary>What the routing check saw through one system before the measurement.</summary>
internal sealed record RoutingCheck(SystemKind System, long[] ReadsByNode, long[] WritesByNode, bool? InRecoveryViaReadPath, long Errors, string Verdict, bool Ok);

internal static class Stats
{
    public static double Median(IReadOnlyList<double> values) => Percentile(values, 0.5);

    /// <summary>Linear interpolation between closest ranks.</summary>
    public static double Percentile(IReadOnlyList<double> values, double fraction)
    {
        if (values.Count == 0)
            return double.NaN;
        var sorted = values.ToArray();
        Array.Sort(sorted);
        var position = fraction * (sorted.Length - 1);
        var lower = (int)Math.Floor(position);
        var upper = Math.Min(lower + 1, sorted.Length - 1);
        return sorted[lower] + ((sorted[upper] - sorted[lower]) * (position - lower));
    }
}
