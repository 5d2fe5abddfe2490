using NpgsqlTypes;
using PgHa.Client.Topology.Internal;
using Xunit;

namespace PgHa.Client.Tests;

public sealed class PrimaryLsnHistoryTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static NpgsqlLogSequenceNumber Lsn(ulong value) => new(value);

    [Fact]
    public void Replica_that_replayed_everything_has_no_lag_however_idle_the_primary_is()
    {
        var history = new PrimaryLsnHistory();
        history.Add(Lsn(1000), T0);
        for (var s = 1; s <= 600; s++)
            history.Add(Lsn(1000), T0.AddSeconds(s)); // ten idle minutes

        var lastCommitLongAgo = T0.AddHours(-3);
        Assert.Equal(TimeSpan.Zero, history.LagTime(Lsn(1000), lastCommitLongAgo, T0.AddSeconds(600)));
        Assert.Equal(0, history.LagBytes(Lsn(1000), T0.AddSeconds(600)));
    }

    [Fact]
    public void Lag_of_a_replica_behind_is_the_age_of_the_first_sample_it_lacks()
    {
        var history = new PrimaryLsnHistory();
        history.Add(Lsn(100), T0);
        history.Add(Lsn(100), T0.AddSeconds(1));
        history.Add(Lsn(200), T0.AddSeconds(2));
        history.Add(Lsn(300), T0.AddSeconds(3));

        Assert.Equal(TimeSpan.FromSeconds(1.5), history.LagTime(Lsn(150), null, T0.AddSeconds(3.5)));
        Assert.Equal(TimeSpan.FromSeconds(0.5), history.LagTime(Lsn(200), null, T0.AddSeconds(3.5)));
        Assert.Equal(150, history.LagBytes(Lsn(150), T0.AddSeconds(3.5)));
    }

    [Fact]
    public void Lag_grows_while_replay_is_stuck_and_the_primary_writes()
    {
        var history = new PrimaryLsnHistory();
        for (var s = 0; s <= 10; s++)
            history.Add(Lsn(1000 + (ulong)s * 100), T0.AddSeconds(s));
        var stuckAt = Lsn(1000 + 300);

        var early = history.LagTime(stuckAt, null, T0.AddSeconds(5))!.Value;
        var late = history.LagTime(stuckAt, null, T0.AddSeconds(10))!.Value;

        Assert.Equal(TimeSpan.FromSeconds(1), early);
        Assert.Equal(TimeSpan.FromSeconds(6), late);
    }

    [Fact]
    public void Replica_behind_every_sample_is_at_least_as_old_as_its_last_replayed_commit()
    {
        var history = new PrimaryLsnHistory(capacity: 4);
        for (var s = 0; s < 10; s++)
            history.Add(Lsn(1000 + (ulong)s), T0.AddSeconds(s));

        Assert.Equal(TimeSpan.FromSeconds(60), history.LagTime(Lsn(10), T0.AddSeconds(-50), T0.AddSeconds(10)));
        Assert.Equal(TimeSpan.FromSeconds(4), history.LagTime(Lsn(10), null, T0.AddSeconds(10)));
    }

    [Fact]
    public void Replica_probed_just_before_a_write_does_not_look_a_whole_interval_behind()
    {
        var history = new PrimaryLsnHistory();
        history.Add(Lsn(100), T0);
        history.Add(Lsn(200), T0.AddSeconds(1)); // a write landed just before this sample

        // The replica's last probe (at 0.95 s) still says 100: it lacks only WAL first seen at 1.0 s.
        Assert.Equal(TimeSpan.Zero, history.LagTime(Lsn(100), null, T0.AddSeconds(1)));
        Assert.Equal(0, history.LagBytes(Lsn(100), T0.AddSeconds(0.95)));
        Assert.Equal(TimeSpan.FromMilliseconds(300), history.LagTime(Lsn(100), null, T0.AddSeconds(1.3)));
    }

    [Fact]
    public void No_samples_means_lag_unknown()
    {
        var history = new PrimaryLsnHistory();
        Assert.Null(history.LagTime(Lsn(1), null, T0));
        Assert.Null(history.LagBytes(Lsn(1), T0));
    }

    [Fact]
    public void A_stale_sample_never_overwrites_a_newer_one()
    {
        var history = new PrimaryLsnHistory();
        history.Add(Lsn(500), T0.AddSeconds(5));
        history.Add(Lsn(100), T0.AddSeconds(1));
        Assert.Equal(Lsn(500), history.Newest);
    }
}
