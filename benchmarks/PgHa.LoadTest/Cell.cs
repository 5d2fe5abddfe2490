namespace PgHa.LoadTest;

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
