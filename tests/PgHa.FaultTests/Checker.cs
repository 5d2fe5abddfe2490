using System.Diagnostics;

namespace PgHa.FaultTests;

/// <summary>
/// What the checker found; every list must be empty, except that <see cref="Lost"/>, <see cref="TicksLost"/> and
/// <see cref="OutcomeUnknown"/> may be non-empty with asynchronous replication, and <see cref="TwoWritableOnDifferentTimelines"/> is informational.
/// </summary>
internal sealed record CheckResult(
    IReadOnlyList<long> Lost,
    IReadOnlyList<long> Duplicated,
    IReadOnlyList<long> Unexpected,
    IReadOnlyList<long> FailedButApplied,
    IReadOnlyList<string> StaleReads,
    IReadOnlyList<long> ReadYourWritesViolations,
    IReadOnlyList<string> TwoWritableOnOneTimeline,
    IReadOnlyList<string> TwoWritableOnDifferentTimelines,
    TimeSpan WorstStaleness,
    int UnknownApplied,
    int UnknownNotApplied,
    IReadOnlyList<string> OutcomeUnknown,
    IReadOnlyList<long> TicksLost,
    IReadOnlyList<string> Stalls,
    IReadOnlyList<FaultFigures> Faults);

/// <summary>
/// Compares what the clients were told with what the final primary holds, after the cluster has healed.
/// <list type="bullet">
/// <item><b>lost</b>: acknowledged, not there. <b>duplicated</b>: there more than once. <b>unexpected</b>: there, never attempted.
/// <b>failed but applied</b>: the client got an error other than "outcome unknown", yet the write is there.</item>
/// <item><b>stale read</b>: a replica read that missed a heartbeat tick acknowledged (and kept) more than the bound
/// before the read's query was sent. Ticks come from one sequential writer, so the first kept tick above the value
/// read is the oldest one missed.</item>
/// <item><b>read-your-writes violation</b>: a session's read did not see the session's own acknowledged write (unless
/// that write was lost: then nobody sees it, and it is counted as lost).</item>
/// <item><b>outcome unknown</b>: a write or tick the client could not say was committed or not. With synchronous
/// replication it can always say: a COMMIT cut off in flight left its commit marker on the standby that takes over,
/// or left nothing there, and the lookup fences it.</item>
/// <item><b>tick lost</b>: an acknowledged heartbeat tick missing, like a lost write.</item>
/// <item><b>stall</b>: a writer that waited for an acknowledgement longer than the cluster took to acknowledge writes
/// again after a fault, plus <see cref="FaultFigures.StallAllowance"/>: any wait open at some moment of the fault's window
/// (the one open when the fault struck included), against that fault's <see cref="FaultFigures.StallLimit"/>.</item>
/// <item><b>two writable on one timeline</b>: two nodes each answered "writable" on the same timeline over
/// overlapping stretches of time. Overlaps on different timelines are reported but not failures: the client fences the
/// older timeline, and the write checks above catch any write it took.</item>
/// </list>
/// </summary>
internal static class Checker
{
    public static CheckResult Check(History history, IReadOnlyDictionary<long, int> stored, IReadOnlySet<long> storedTicks, TimeSpan staleBound, IReadOnlyList<InjectedFault> faults)
    {
        var writes = history.Writes.ToList();
        var attempted = writes.Select(w => w.Id).ToHashSet();
        var acknowledged = writes.Where(w => w.Outcome == Outcome.Ok).Select(w => w.Id).ToList();
        var unknown = writes.Where(w => w.Outcome == Outcome.Unknown).Select(w => w.Id).ToList();
        var (stale, worst) = StaleReads(history, storedTicks, staleBound);
        var (sameTimeline, otherTimeline) = WritableOverlaps(history.Writable.ToList());
        var figures = FaultFigures.Measure(history, faults);
        return new CheckResult(
            Lost: acknowledged.Where(id => !stored.ContainsKey(id)).Order().ToList(),
            Duplicated: stored.Where(kv => kv.Value > 1).Select(kv => kv.Key).Order().ToList(),
            Unexpected: stored.Keys.Where(id => !attempted.Contains(id)).Order().ToList(),
            FailedButApplied: writes.Where(w => w.Outcome == Outcome.Failed && stored.ContainsKey(w.Id)).Select(w => w.Id).Order().ToList(),
            StaleReads: stale,
            // A write lost in an asynchronous failover is missing for everyone: that is the loss, counted above.
            ReadYourWritesViolations: history.ReadYourWrites.Where(r => !r.Seen && stored.ContainsKey(r.Id)).Select(r => r.Id).ToList(),
            TwoWritableOnOneTimeline: sameTimeline,
            TwoWritableOnDifferentTimelines: otherTimeline,
            WorstStaleness: worst,
            UnknownApplied: unknown.Count(stored.ContainsKey),
            UnknownNotApplied: unknown.Count(id => !stored.ContainsKey(id)),
            OutcomeUnknown: [
                .. writes.Where(w => w.Outcome == Outcome.Unknown).Select(w =>
                    $"write {w.Id} of writer {w.Writer}, {(stored.ContainsKey(w.Id) ? "applied" : "not applied")}, {When(w.Started, w.Ended, faults)}: {Shorten(w.Error)}"),
                .. history.Ticks.Where(t => t.Outcome == Outcome.Unknown).Select(t =>
                    $"tick {t.N}, {(storedTicks.Contains(t.N) ? "applied" : "not applied")}, {When(t.Started, t.Ended, faults)}"),
            ],
            TicksLost: history.Ticks.Where(t => t.Outcome == Outcome.Ok && !storedTicks.Contains(t.N)).Select(t => t.N).Order().ToList(),
            Stalls: Stalls(figures),
            Faults: figures);
    }

    /// <summary>How long an operation took, and through which fault.</summary>
    private static string When(long started, long ended, IReadOnlyList<InjectedFault> faults)
    {
        var took = Stopwatch.GetElapsedTime(started, ended);
        return faults.FirstOrDefault(f => f.Window.Overlaps(new Stretch(started, ended))) is { } fault
            ? $"took {took.TotalSeconds:0.00} s, ended {Stopwatch.GetElapsedTime(fault.Window.From, ended).TotalSeconds:0.00} s into {fault.Kind} at {fault.At.TotalSeconds:0.0} s"
            : $"took {took.TotalSeconds:0.00} s, outside every fault";
    }

    private static string Shorten(string? error) => error is null ? "?" : error.Length > 300 ? error[..300] + "…" : error;

    private static List<string> Stalls(IEnumerable<FaultFigures> figures) =>
        figures.SelectMany(f => f.Waits
                .Where(w => w.Wait.Length > f.StallLimit)
                .Select(w => $"{w.Writer} waited {w.Wait.Length.TotalSeconds:0.00} s through {f.Fault.Kind} at {f.Fault.At.TotalSeconds:0.0} s " +
                    $"(cluster writable again after {f.TimeToWritable.TotalSeconds:0.00} s, limit {f.StallLimit.TotalSeconds:0.00} s)"))
            .ToList();

    private static (List<string> Stale, TimeSpan Worst) StaleReads(History history, IReadOnlySet<long> storedTicks, TimeSpan bound)
    {
        var kept = history.Ticks.Where(t => t.Outcome == Outcome.Ok && storedTicks.Contains(t.N)).OrderBy(t => t.N).ToList();
        var numbers = kept.Select(t => t.N).ToArray();
        var stale = new List<string>();
        var worst = TimeSpan.Zero;
        foreach (var read in history.Reads)
        {
            var index = Array.BinarySearch(numbers, read.MaxTick + 1);
            if (index < 0)
                index = ~index;
            if (index >= kept.Count || kept[index].Ended >= read.ReadAt)
                continue; // it missed nothing that was acknowledged before it asked
            var staleness = Stopwatch.GetElapsedTime(kept[index].Ended, read.ReadAt);
            if (staleness > worst)
                worst = staleness;
            if (staleness > bound)
                stale.Add($"{read.Node} saw tick {read.MaxTick}, missing tick {kept[index].N} acknowledged {staleness.TotalSeconds:0.00} s earlier");
        }

        return (stale, worst);
    }

    /// <summary>Writable stretches per node (consecutive writable answers on one timeline), then overlaps between nodes.</summary>
    private static (List<string> SameTimeline, List<string> OtherTimelines) WritableOverlaps(List<WritableSample> samples)
    {
        var stretches = new List<(string Node, string Timeline, long From, long To)>();
        foreach (var node in samples.GroupBy(s => s.Node))
        {
            (string Timeline, long From, long To)? open = null;
            foreach (var sample in node.OrderBy(s => s.Asked))
            {
                if (sample.Writable && open is { } o && o.Timeline == sample.Timeline)
                {
                    open = (o.Timeline, o.From, sample.Answered);
                    continue;
                }

                if (open is { } closed)
                    stretches.Add((node.Key, closed.Timeline, closed.From, closed.To));
                open = sample.Writable ? (sample.Timeline ?? "?", sample.Asked, sample.Answered) : null;
            }

            if (open is { } last)
                stretches.Add((node.Key, last.Timeline, last.From, last.To));
        }

        var same = new List<string>();
        var other = new List<string>();
        for (var i = 0; i < stretches.Count; i++)
        {
            for (var j = i + 1; j < stretches.Count; j++)
            {
                var (a, b) = (stretches[i], stretches[j]);
                if (a.Node == b.Node || a.To < b.From || b.To < a.From)
                    continue;
                var overlap = Stopwatch.GetElapsedTime(Math.Max(a.From, b.From), Math.Min(a.To, b.To));
                var text = $"{a.Node} (timeline {a.Timeline}) and {b.Node} (timeline {b.Timeline}) both writable for up to {overlap.TotalMilliseconds:0} ms";
                (a.Timeline == b.Timeline ? same : other).Add(text);
            }
        }

        return (same, other);
    }
}
