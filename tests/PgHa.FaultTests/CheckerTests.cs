using System.Diagnostics;
using Xunit;

namespace PgHa.FaultTests;

/// <summary>The checker on made-up histories: each kind of violation is found, and a clean history passes (part of the default suite).</summary>
public sealed class CheckerTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(3);
    private static readonly long T0 = Stopwatch.GetTimestamp();

    [Fact]
    public void A_clean_history_passes()
    {
        var history = Writes((1, Outcome.Ok), (2, Outcome.Ok), (3, Outcome.Failed), (4, Outcome.Unknown));
        var result = Checker.Check(history, Stored(1, 2, 4), new HashSet<long>(), Bound);

        Assert.True(FaultReport.Passed(Sync, result));
        Assert.Equal((1, 0), (result.UnknownApplied, result.UnknownNotApplied));
    }

    [Fact]
    public void Lost_duplicated_unexpected_and_failed_but_applied_writes_are_found()
    {
        var history = Writes((1, Outcome.Ok), (2, Outcome.Ok), (3, Outcome.Failed), (4, Outcome.Unknown));
        var stored = new Dictionary<long, int> { [2] = 2, [3] = 1, [4] = 1, [99] = 1 };

        var result = Checker.Check(history, stored, new HashSet<long>(), Bound);

        Assert.Equal([1L], result.Lost);
        Assert.Equal([2L], result.Duplicated);
        Assert.Equal([99L], result.Unexpected);
        Assert.Equal([3L], result.FailedButApplied);
        Assert.False(FaultReport.Passed(Sync, result));
    }

    [Fact]
    public void Losses_fail_a_synchronous_run_and_are_reported_in_an_asynchronous_one()
    {
        var result = Checker.Check(Writes((1, Outcome.Ok)), Stored(), new HashSet<long>(), Bound);

        Assert.False(FaultReport.Passed(Sync, result));
        Assert.True(FaultReport.Passed(Sync with { Synchronous = false }, result));
    }

    [Fact]
    public void A_read_that_missed_a_tick_acknowledged_longer_ago_than_the_bound_is_stale()
    {
        var history = new History();
        history.Ticks.Enqueue(new TickOp(1, At(0), Outcome.Ok));
        history.Ticks.Enqueue(new TickOp(2, At(1), Outcome.Ok));
        history.Ticks.Enqueue(new TickOp(3, At(2), Outcome.Failed)); // never acknowledged: missing it is not stale
        history.Reads.Enqueue(new ReadOp(At(3.5), 1, "fresh enough")); // missed tick 2 by 2.5 s
        history.Reads.Enqueue(new ReadOp(At(4.5), 1, "stale")); // missed tick 2 by 3.5 s
        history.Reads.Enqueue(new ReadOp(At(9), 2, "up to date"));

        var result = Checker.Check(history, Stored(), new HashSet<long> { 1, 2 }, Bound);

        Assert.Single(result.StaleReads);
        Assert.StartsWith("stale", result.StaleReads[0], StringComparison.Ordinal);
        Assert.InRange(result.WorstStaleness.TotalSeconds, 3.4, 3.6);
    }

    [Fact]
    public void A_tick_lost_in_a_failover_does_not_make_later_reads_look_stale()
    {
        var history = new History();
        history.Ticks.Enqueue(new TickOp(1, At(0), Outcome.Ok));
        history.Ticks.Enqueue(new TickOp(2, At(1), Outcome.Ok)); // acknowledged, then lost (asynchronous)
        history.Reads.Enqueue(new ReadOp(At(10), 1, "new primary's replica"));

        var result = Checker.Check(history, Stored(), new HashSet<long> { 1 }, Bound);

        Assert.Empty(result.StaleReads);
        Assert.Equal(1, result.TicksLost);
    }

    [Fact]
    public void A_session_read_that_misses_its_own_write_is_a_violation()
    {
        var history = Writes((1, Outcome.Ok));
        history.ReadYourWrites.Enqueue(new ReadYourWriteOp(1, Seen: false, "replica"));

        var result = Checker.Check(history, Stored(1), new HashSet<long>(), Bound);

        Assert.Equal([1L], result.ReadYourWritesViolations);
        Assert.Empty(Checker.Check(history, Stored(), new HashSet<long>(), Bound).ReadYourWritesViolations); // lost, not a violation
    }

    [Fact]
    public void Two_nodes_writable_at_once_fail_on_one_timeline_and_are_reported_on_two()
    {
        var history = new History();
        foreach (var (node, from, to, timeline) in new[] { ("n1", 0.0, 2.0, "00000002"), ("n2", 1.5, 3.0, "00000002"), ("n3", 2.5, 4.0, "00000003") })
        {
            for (var t = from; t <= to; t += 0.1)
                history.Writable.Enqueue(new WritableSample(node, At(t), At(t + 0.01), true, timeline));
        }

        history.Writable.Enqueue(new WritableSample("n1", At(2.2), At(2.21), false, null));

        var result = Checker.Check(history, Stored(), new HashSet<long>(), Bound);

        Assert.Single(result.TwoWritableOnOneTimeline); // n1 and n2 on timeline 2
        Assert.Single(result.TwoWritableOnDifferentTimelines); // n2 and n3
        Assert.False(FaultReport.Passed(Sync, result));
    }

    private static FaultProfile Sync => new("test", 1, TimeSpan.Zero, EveryKindOnce: true, Synchronous: true, ReportPath: null);

    private static long At(double seconds) => T0 + (long)(seconds * Stopwatch.Frequency);

    private static History Writes(params (long Id, Outcome Outcome)[] writes)
    {
        var history = new History();
        foreach (var (id, outcome) in writes)
            history.Writes.Enqueue(new WriteOp(id, 0, At(0), At(0.01), outcome, null));
        return history;
    }

    private static Dictionary<long, int> Stored(params long[] ids) => ids.ToDictionary(id => id, _ => 1);
}
