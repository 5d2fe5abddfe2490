using PgHa.Agent.Dcs;

namespace PgHa.Agent.Ha;

/// <summary>
/// The leader lease's timeline, derived from one fact: etcd counts a lease from when it receives the renewal, so the
/// lease cannot expire before the send time of the last successful grant or keepalive plus the TTL granted
/// (<see cref="EtcdDcs.LeaseDeadline"/>). Every moment a leader times against its lease is computed here, on that one
/// clock: the fence (the watchdog stops the server <see cref="FenceMargin"/> before the lease could expire) and the
/// cutoff (a leader whose renewals fail retries until <see cref="CutoffMargin"/> before the fence, then stops leading
/// on its own terms).
/// </summary>
/// <param name="leaseDeadline">The lease's earliest possible expiry, a timestamp of <paramref name="time"/>; 0 without a lease.</param>
/// <param name="time">The clock the deadline was taken on (<see cref="TimeProvider.System"/>: <see cref="System.Diagnostics.Stopwatch"/> timestamps).</param>
internal sealed class LeaseClock(Func<long> leaseDeadline, TimeProvider time)
{
    /// <summary>The watchdog fires this long before the lease could expire, so the server is down before any other node can win the key.</summary>
    public static readonly TimeSpan FenceMargin = TimeSpan.FromMilliseconds(500);

    /// <summary>A leader stops retrying this long before its fence fires, so it demotes itself cleanly first.</summary>
    public static readonly TimeSpan CutoffMargin = TimeSpan.FromMilliseconds(250);

    /// <summary>The earliest moment the lease could expire; 0 without a lease.</summary>
    public long LeaseDeadline => leaseDeadline();

    /// <summary>The moment the fence must fire for a lease that could expire at <paramref name="deadline"/>.</summary>
    public long FenceAt(long deadline) => deadline - Ticks(FenceMargin);

    /// <summary>The last moment a leader may keep writing while it cannot renew; 0 without a lease.</summary>
    public long Cutoff => LeaseDeadline is var deadline and not 0 ? FenceAt(deadline) - Ticks(CutoffMargin) : 0;

    /// <summary>The lease certainly outlives the next <see cref="CutoffMargin"/> plus <see cref="FenceMargin"/>: a leader may still write and retry.</summary>
    public bool BeforeCutoff => Cutoff is var cutoff and not 0 && time.GetTimestamp() < cutoff;

    /// <summary>Time left until <see cref="Cutoff"/>; zero when it has passed or there is no lease.</summary>
    public TimeSpan UntilCutoff => Cutoff is var cutoff and not 0 ? Max(time.GetElapsedTime(time.GetTimestamp(), cutoff), TimeSpan.Zero) : TimeSpan.Zero;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * time.TimestampFrequency);
}
