using PgHa.Agent.Ha;
using Xunit;

namespace PgHa.Agent.Tests;

/// <summary>The lease arithmetic on a manual clock: fence and retry cutoff from the last renewal's send time.</summary>
public sealed class LeaseClockTests
{
    [Fact]
    public void The_cutoff_is_750_ms_before_the_lease_and_the_fence_500_ms()
    {
        var time = new ManualTime();
        var deadline = time.GetTimestamp() + 4 * ManualTime.Frequency; // renewed now, TTL 4 s
        var lease = new LeaseClock(() => deadline, time);

        Assert.Equal(deadline - ManualTime.Frequency / 2, lease.FenceAt(deadline));
        Assert.Equal(TimeSpan.FromMilliseconds(3250), lease.UntilCutoff);
        Assert.True(lease.BeforeCutoff);

        time.Advance(TimeSpan.FromMilliseconds(3249));
        Assert.True(lease.BeforeCutoff);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.False(lease.BeforeCutoff);
        Assert.Equal(TimeSpan.Zero, lease.UntilCutoff);
    }

    [Fact]
    public void Without_a_lease_there_is_no_time_to_retry()
    {
        var lease = new LeaseClock(() => 0, new ManualTime());
        Assert.False(lease.BeforeCutoff);
        Assert.Equal(TimeSpan.Zero, lease.UntilCutoff);
        Assert.Equal(0, lease.Cutoff);
    }

    private sealed class ManualTime : TimeProvider
    {
        public const long Frequency = 1_000_000;
        private long _now = 1_000 * Frequency;

        public override long TimestampFrequency => Frequency;

        public override long GetTimestamp() => _now;

        public void Advance(TimeSpan by) => _now += (long)(by.TotalSeconds * Frequency);
    }
}
