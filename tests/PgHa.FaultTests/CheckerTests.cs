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
        var history = Writes((1, Outcome.Ok), (2, Outcome.Ok), (3, Outcome.Failed));
        history.Ticks.Enqueue(new TickOp(1, At(0), At(0.01), Outcome.Ok));
        var result = Checker.Check(history, Stored(1, 2), new HashSet<long> { 1 }, Bound, []);

        Assert.True(FaultReport.Passed(Sync, result));
    }

    [Fact]
    public void Lost_duplicated_unexpected_and_failed_but_applied_writes_are_found()
    {
        var history = Writes((1, Outcome.Ok), (2, Outcome.Ok), (3, Outcome.Failed), (4, Outcome.Unknown));
        var stored = new Dictionary<long, int> { [2] = 2, [3] = 1, [4] = 1, [99] = 1 };

        var result = Checker.Check(history, stored, new HashSet<long>(), Bound, []);

        Assert.Equal([1L], result.Lost);
        Assert.Equal([2L], result.Duplicated);
        Assert.Equal([99L], result.Unexpected);
        Assert.Equal([3L], result.FailedButApplied);
        Assert.False(FaultReport.Passed(Sync, result));
    }

    [Fact]
    public void Losses_fail_a_synchronous_run_and_are_reported_in_an_asynchronous_one()
    {
        var result = Checker.Check(Writes((1, Outcome.Ok)), Stored(), new HashSet<long>(), Bound, []);

        Assert.False(FaultReport.Passed(Sync, result));
        Assert.True(FaultReport.Passed(Sync with { Synchronous = false }, result));
    }

    [Fact]
    public void A_read_that_missed_a_tick_acknowledged_longer_ago_than_the_bound_is_stale()
    {
        var history = new History();
        history.Ticks.Enqueue(new TickOp(1, At(0), At(0), Outcome.Ok));
        history.Ticks.Enqueue(new TickOp(2, At(1), At(1), Outcome.Ok));
        history.Ticks.Enqueue(new TickOp(3, At(2), At(2), Outcome.Failed)); // never acknowledged: missing it is not stale
        history.Reads.Enqueue(new ReadOp(At(3.5), 1, "fresh enough")); // missed tick 2 by 2.5 s
        history.Reads.Enqueue(new ReadOp(At(4.5), 1, "stale")); // missed tick 2 by 3.5 s
        history.Reads.Enqueue(new ReadOp(At(9), 2, "up to date"));

        var result = Checker.Check(history, Stored(), new HashSet<long> { 1, 2 }, Bound, []);

        Assert.Single(result.StaleReads);
        Assert.StartsWith("stale", result.StaleReads[0], StringComparison.Ordinal);
        Assert.InRange(result.WorstStaleness.TotalSeconds, 3.4, 3.6);
    }

    [Fact]
    public void A_tick_lost_in_a_failover_does_not_make_later_reads_look_stale()
    {
        var history = new History();
        history.Ticks.Enqueue(new TickOp(1, At(0), At(0), Outcome.Ok));
        history.Ticks.Enqueue(new TickOp(2, At(1), At(1), Outcome.Ok)); // acknowledged, then lost (asynchronous)
        history.Reads.Enqueue(new ReadOp(At(10), 1, "new primary's replica"));

        var result = Checker.Check(history, Stored(), new HashSet<long> { 1 }, Bound, []);

        Assert.Empty(result.StaleReads);
        Assert.Equal([2L], result.TicksLost);
    }

    [Fact]
    public void A_session_read_that_misses_its_own_write_is_a_violation()
    {
        var history = Writes((1, Outcome.Ok));
        history.ReadYourWrites.Enqueue(new ReadYourWriteOp(1, Seen: false, "replica"));

        var result = Checker.Check(history, Stored(1), new HashSet<long>(), Bound, []);

        Assert.Equal([1L], result.ReadYourWritesViolations);
        Assert.Empty(Checker.Check(history, Stored(), new HashSet<long>(), Bound, []).ReadYourWritesViolations); // lost, not a violation
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

        var result = Checker.Check(history, Stored(), new HashSet<long>(), Bound, []);

        Assert.Single(result.TwoWritableOnOneTimeline); // n1 and n2 on timeline 2
        Assert.Single(result.TwoWritableOnDifferentTimelines); // n2 and n3
        Assert.False(FaultReport.Passed(Sync, result));
    }

    [Fact]
    public void An_outcome_unknown_write_fails_a_synchronous_run_and_is_reported_in_an_asynchronous_one()
    {
        var history = Writes((1, Outcome.Ok), (2, Outcome.Unknown));

        var result = Checker.Check(history, Stored(1, 2), new HashSet<long>(), Bound, []);

        Assert.Single(result.OutcomeUnknown);
        Assert.Equal((1, 0), (result.UnknownApplied, result.UnknownNotApplied));
        Assert.False(FaultReport.Passed(Sync, result));
        Assert.True(FaultReport.Passed(Sync with { Synchronous = false }, result));
    }

    [Fact]
    public void An_outcome_unknown_heartbeat_tick_fails_a_synchronous_run()
    {
        var history = new History();
        history.Ticks.Enqueue(new TickOp(1, At(0), At(0.01), Outcome.Ok));
        history.Ticks.Enqueue(new TickOp(2, At(0.1), At(6), Outcome.Unknown));

        var result = Checker.Check(history, Stored(), new HashSet<long> { 1 }, Bound, []);

        Assert.StartsWith("tick 2, not applied", Assert.Single(result.OutcomeUnknown), StringComparison.Ordinal);
        Assert.False(FaultReport.Passed(Sync, result));
    }

    [Fact]
    public void A_lost_heartbeat_tick_fails_a_synchronous_run_and_is_reported_in_an_asynchronous_one()
    {
        var history = new History();
        history.Ticks.Enqueue(new TickOp(1, At(0), At(0.01), Outcome.Ok));
        history.Ticks.Enqueue(new TickOp(2, At(0.1), At(0.11), Outcome.Ok));

        var result = Checker.Check(history, Stored(), new HashSet<long> { 1 }, Bound, []);

        Assert.Equal([2L], result.TicksLost);
        Assert.False(FaultReport.Passed(Sync, result));
        Assert.True(FaultReport.Passed(Sync with { Synchronous = false }, result));
    }

    [Fact]
    public void A_writer_waiting_longer_than_the_cluster_took_to_be_writable_again_plus_a_second_has_stalled()
    {
        // The cluster commits every 100 ms, except from 10 s to 14 s: a fault at 10 s, healthy again at 20 s.
        var history = ProbeCommits((0, 10), (14, 30));
        var fault = Fault(at: 10, healthyAt: 20);
        WriterResumesAt(history, writer: 0, stoppedAt: 10, resumedAt: 14.5); // waited 4.5 s: within 4 s + 1 s
        WriterResumesAt(history, writer: 1, stoppedAt: 10, resumedAt: 16); // waited 6 s

        var result = Checker.Check(history, StoredWrites(history), new HashSet<long>(), Bound, [fault]);

        Assert.InRange(result.Faults.Single().TimeToWritable.TotalSeconds, 4.0, 4.1);
        Assert.StartsWith("writer 1 waited 6.0", Assert.Single(result.Stalls), StringComparison.Ordinal);
        Assert.False(FaultReport.Passed(Sync, result));
    }

    [Fact]
    public void A_writer_waiting_through_an_outage_that_began_late_is_measured_from_the_faults_start()
    {
        // An etcd pause: the leader writes on until its lease runs out 4 s in; the cluster commits again 9 s in.
        var history = ProbeCommits((0, 14), (19, 40));
        var fault = Fault(at: 10, healthyAt: 25);
        WriterResumesAt(history, writer: 0, stoppedAt: 14, resumedAt: 19.3);

        var result = Checker.Check(history, StoredWrites(history), new HashSet<long>(), Bound, [fault]);

        Assert.InRange(result.Faults.Single().TimeToWritable.TotalSeconds, 9.0, 9.1);
        Assert.Empty(result.Stalls);
        Assert.True(FaultReport.Passed(Sync, result));
    }

    private static FaultProfile Sync => new("test", 1, TimeSpan.Zero, EveryKindOnce: true, Synchronous: true, ReportPath: null);

    internal static long At(double seconds) => T0 + (long)(seconds * Stopwatch.Frequency);

    private static History Writes(params (long Id, Outcome Outcome)[] writes)
    {
        var history = new History();
        foreach (var (id, outcome) in writes)
            history.Writes.Enqueue(new WriteOp(id, 0, At(0), At(0.01), outcome, null));
        return history;
    }

    private static Dictionary<long, int> Stored(params long[] ids) => ids.ToDictionary(id => id, _ => 1);

    private static Dictionary<long, int> StoredWrites(History history) => history.Writes.Where(w => w.Outcome == Outcome.Ok).ToDictionary(w => w.Id, _ => 1);

    internal static InjectedFault Fault(double at, double healthyAt) =>
        new(FaultKind.FreezeNode, "n1", OnLeader: true, TimeSpan.FromSeconds(at), TimeSpan.Zero, TimeSpan.Zero, "n2", "", new Stretch(At(at), At(healthyAt)));

    /// <summary>The probe's commits every 100 ms over each stretch of seconds.</summary>
    internal static History ProbeCommits(params (double From, double To)[] stretches)
    {
        var history = new History();
        foreach (var (from, to) in stretches)
        {
            for (var t = from; t <= to + 1e-9; t += 0.1)
                history.Commits.Enqueue(new CommitSample("n1", At(t), At(t + 0.005)));
        }

        return history;
    }

    /// <summary>A writer acknowledged every 50 ms from 0 s until <paramref name="stoppedAt"/>, failing until <paramref name="resumedAt"/>, then acknowledged for 5 s more.</summary>
    internal static void WriterResumesAt(History history, int writer, double stoppedAt, double resumedAt)
    {
        var id = writer * 1_000_000L;
        for (var t = 0.0; t < stoppedAt - 1e-9; t += 0.05)
            history.Writes.Enqueue(new WriteOp(++id, writer, At(t), At(t + 0.01), Outcome.Ok, null));
        for (var t = stoppedAt; t < resumedAt - 1e-9; t += 1)
            history.Writes.Enqueue(new WriteOp(++id, writer, At(t), At(Math.Min(t + 1, resumedAt - 0.01)), Outcome.Failed, "no primary"));
        for (var t = resumedAt - 0.01; t < resumedAt + 5; t += 0.05)
            history.Writes.Enqueue(new WriteOp(++id, writer, At(t), At(t + 0.01), Outcome.Ok, null));
    }
}
