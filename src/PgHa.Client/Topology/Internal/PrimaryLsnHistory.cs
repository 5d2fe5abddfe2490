using NpgsqlTypes;

namespace PgHa.Client.Topology.Internal;

/// <summary>
/// Recent (flushed WAL position, time) samples of the current primary, from which a replica's lag in time follows.
/// A replica that has replayed position P lacks exactly the WAL above P; the first primary sample above P says
/// when that WAL already existed, so the replica is at least <c>now - that sample's time</c> stale, and at most one
/// sample interval more. A replica at or past the newest sample is not stale at all, however long the primary has
/// been idle (unlike <c>now() - pg_last_xact_replay_timestamp()</c>). Comparing against the first sample above P,
/// not the newest one, keeps a replica probed just before a write from looking a whole interval behind.
/// Not thread-safe: the topology monitor owns it under its lock.
/// </summary>
internal sealed class PrimaryLsnHistory
{
    private readonly (NpgsqlLogSequenceNumber Lsn, DateTimeOffset At)[] _samples;
    private int _count;
    private int _newest = -1;

    public PrimaryLsnHistory(int capacity = 256) => _samples = new (NpgsqlLogSequenceNumber, DateTimeOffset)[capacity];

    /// <summary>The primary (index, timeline) these samples belong to; a new primary starts a new history.</summary>
    public (int Index, int? Timeline) Owner { get; private set; } = (-1, null);

    public NpgsqlLogSequenceNumber? Newest => _count == 0 ? null : _samples[_newest].Lsn;

    public void ResetFor(int primaryIndex, int? timeline)
    {
        Owner = (primaryIndex, timeline);
        _count = 0;
        _newest = -1;
    }

    public void Add(NpgsqlLogSequenceNumber lsn, DateTimeOffset at)
    {
        if (_count > 0)
        {
            var (lastLsn, lastAt) = _samples[_newest];
            if (at <= lastAt)
                return; // a stale or repeated sample never overwrites a newer one
            if (lsn < lastLsn)
                lsn = lastLsn; // flushed WAL never goes back on one timeline
        }

        _newest = (_newest + 1) % _samples.Length;
        _samples[_newest] = (lsn, at);
        if (_count < _samples.Length)
            _count++;
    }

    /// <summary>WAL the primary had flushed by <paramref name="replicaProbedAt"/> that the replica had not replayed then;
    /// a primary sample newer than the replica's probe would count WAL written after the replica was asked.</summary>
    public long? LagBytes(NpgsqlLogSequenceNumber replayed, DateTimeOffset replicaProbedAt)
    {
        if (_count == 0)
            return null;
        var reference = _samples[_newest];
        for (var i = 1; i < _count && reference.At > replicaProbedAt; i++)
            reference = _samples[(_newest - i + _samples.Length) % _samples.Length];
        return Math.Max(0L, (long)(ulong)reference.Lsn - (long)(ulong)replayed);
    }

    /// <param name="replayed">The replica's replayed position.</param>
    /// <param name="lastReplayedCommitAt">The commit time of the last transaction it replayed, for replicas behind every sample.</param>
    /// <param name="now">The time to measure the lag at.</param>
    public TimeSpan? LagTime(NpgsqlLogSequenceNumber replayed, DateTimeOffset? lastReplayedCommitAt, DateTimeOffset now)
    {
        if (_count == 0)
            return null;
        if (replayed >= _samples[_newest].Lsn)
            return TimeSpan.Zero;

        var firstMissingAt = _samples[_newest].At;
        for (var i = 1; i < _count; i++)
        {
            var (lsn, at) = _samples[(_newest - i + _samples.Length) % _samples.Length];
            if (lsn <= replayed)
                return Max(now - firstMissingAt, TimeSpan.Zero);
            firstMissingAt = at;
        }

        // Behind the oldest sample: it has at least everything up to its last replayed commit.
        var lag = now - firstMissingAt;
        if (lastReplayedCommitAt is { } commitAt)
            lag = Max(lag, now - commitAt);
        return Max(lag, TimeSpan.Zero);
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
