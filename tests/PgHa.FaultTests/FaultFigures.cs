using System.Diagnostics;

namespace PgHa.FaultTests;

/// <summary>
/// What one fault cost the application, over the fault's window (from its start to the cluster healthy again):
/// the longest stretch without any acknowledged write, each writer's waits for an acknowledgement, the p99 latency
/// of the writes that overlapped the window (failed ones included: the application waited for them too), and,
/// beside them, how long the cluster itself took to acknowledge writes again.
/// </summary>
internal sealed record FaultFigures(InjectedFault Fault, Stretch? ClusterOutage, TimeSpan LongestGap, IReadOnlyList<WriterWait> Waits, TimeSpan P99Latency, int Writes)
{
    /// <summary>How much longer than the cluster a writer may go without an acknowledgement: the client's time to find the new primary and commit there.</summary>
    public static readonly TimeSpan StallAllowance = TimeSpan.FromSeconds(1);

    /// <summary>From the fault's start to the first probe commit after the cluster's outage; zero if it had none.</summary>
    public TimeSpan TimeToWritable => ClusterOutage is { } outage ? Stopwatch.GetElapsedTime(Fault.Window.From, outage.To) : TimeSpan.Zero;

    /// <summary>The longest a writer may wait through this fault.</summary>
    public TimeSpan StallLimit => TimeToWritable + StallAllowance;

    public WriterWait LongestWait => Waits.DefaultIfEmpty(new WriterWait("none", default)).MaxBy(w => w.Wait.Length);

    public static List<FaultFigures> Measure(History history, IReadOnlyList<InjectedFault> faults)
    {
        var attempts = WriteGaps.Attempts(history);
        var gaps = WriteGaps.BetweenAcknowledgements(attempts);
        var waits = WriteGaps.Waits(attempts);
        var commits = history.Commits.ToList();
        var observedUntil = attempts.Count == 0 ? 0 : attempts.Max(a => a.Ended);
        var figures = new List<FaultFigures>();
        foreach (var fault in faults)
        {
            var window = fault.Window;
            var latencies = attempts.Select(a => new Stretch(a.Started, a.Ended)).Where(s => s.Overlaps(window)).Select(s => s.Length).Order().ToList();
            figures.Add(new FaultFigures(
                fault,
                FaultTests.ClusterOutage.Longest(commits, window, observedUntil),
                gaps.Where(g => g.Overlaps(window)).Select(g => g.Length).DefaultIfEmpty().Max(),
                waits.Where(w => w.Wait.Overlaps(window)).ToList(),
                Percentile(latencies, 0.99),
                latencies.Count));
        }

        return figures;
    }

    /// <summary>Nearest rank: the smallest value with at least that share of the values at or below it.</summary>
    private static TimeSpan Percentile(List<TimeSpan> sorted, double share) =>
        sorted.Count == 0 ? TimeSpan.Zero : sorted[Math.Max(0, (int)Math.Ceiling(share * sorted.Count) - 1)];
}
