using Xunit;
using static PgHa.FaultTests.CheckerTests;

namespace PgHa.FaultTests;

/// <summary>The per-fault figures of the report on made-up histories (part of the default suite).</summary>
public sealed class FaultFiguresTests
{
    [Fact]
    public void The_longest_gap_is_across_all_writers_and_the_longest_wait_is_one_writers()
    {
        var history = ProbeCommits((0, 30));
        WriterResumesAt(history, writer: 0, stoppedAt: 10, resumedAt: 15);
        WriterResumesAt(history, writer: 1, stoppedAt: 11, resumedAt: 13); // acknowledged from 0 s to 11 s and from 13 s

        var figures = FaultFigures.Measure(history, [Fault(at: 10, healthyAt: 20)]).Single();

        Assert.InRange(figures.LongestGap.TotalSeconds, 1.99, 2.06); // 11 s to 13 s, writer 1's
        Assert.Equal("writer 0", figures.LongestWait.Writer);
        Assert.InRange(figures.LongestWait.Wait.Length.TotalSeconds, 4.99, 5.01);
    }

    [Fact]
    public void A_session_writers_read_back_and_the_heartbeats_pause_are_not_waits()
    {
        var history = ProbeCommits((0, 30));
        history.Writes.Enqueue(new WriteOp(1, 1, At(9.99), At(10), Outcome.Ok, null));
        history.Writes.Enqueue(new WriteOp(2, 1, At(12), At(12.01), Outcome.Ok, null)); // read its write back for 2 s in between
        history.Ticks.Enqueue(new TickOp(1, At(9.99), At(10), Outcome.Ok));
        history.Ticks.Enqueue(new TickOp(2, At(12), At(12.01), Outcome.Ok));

        var figures = FaultFigures.Measure(history, [Fault(at: 10.5, healthyAt: 11)]).Single();

        Assert.InRange(figures.LongestGap.TotalSeconds, 2.0, 2.02); // no acknowledgement at all from 10 s to 12.01 s
        Assert.InRange(figures.LongestWait.Wait.Length.TotalSeconds, 0.0, 0.02);
    }

    [Fact]
    public void A_writer_that_never_resumed_waits_until_the_observation_ends()
    {
        var history = ProbeCommits((0, 30));
        WriterResumesAt(history, writer: 0, stoppedAt: 10, resumedAt: 20); // observed until 25 s
        history.Writes.Enqueue(new WriteOp(99, 1, At(9), At(9.01), Outcome.Ok, null));
        history.Writes.Enqueue(new WriteOp(100, 1, At(9.02), At(9.5), Outcome.Failed, "no primary"));

        var figures = FaultFigures.Measure(history, [Fault(at: 10, healthyAt: 12)]).Single();

        Assert.Equal("writer 1", figures.LongestWait.Writer);
        Assert.InRange(figures.LongestWait.Wait.Length.TotalSeconds, 15.9, 16.1);
    }

    [Fact]
    public void The_p99_latency_is_of_the_writes_that_overlapped_the_window()
    {
        var history = ProbeCommits((0, 30));
        for (var i = 0; i < 98; i++)
            history.Writes.Enqueue(new WriteOp(i, 0, At(10 + (i * 0.05)), At(10.01 + (i * 0.05)), Outcome.Ok, null));
        history.Writes.Enqueue(new WriteOp(98, 1, At(9), At(12), Outcome.Failed, "released"));
        history.Writes.Enqueue(new WriteOp(99, 2, At(11), At(14), Outcome.Ok, null));
        history.Writes.Enqueue(new WriteOp(100, 3, At(0), At(8), Outcome.Ok, null)); // before the window

        var figures = FaultFigures.Measure(history, [Fault(at: 10, healthyAt: 15)]).Single();

        Assert.Equal(100, figures.Writes);
        Assert.InRange(figures.P99Latency.TotalSeconds, 2.99, 3.01);
    }

    [Fact]
    public void A_cluster_that_kept_committing_was_writable_at_once()
    {
        var history = ProbeCommits((0, 10.0), (10.4, 11.5), (11.9, 30)); // two late probes, no outage

        var figures = FaultFigures.Measure(history, [Fault(at: 10, healthyAt: 20)]).Single();

        Assert.Equal(TimeSpan.Zero, figures.TimeToWritable);
        Assert.Equal(FaultFigures.StallAllowance, figures.StallLimit);
    }
}
