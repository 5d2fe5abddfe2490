using Microsoft.Extensions.Logging;
using PgHa.Agent.Configuration;

namespace PgHa.Agent.Ha;

/// <summary>
/// A DCS call retried after short pauses until a deadline, because an ordinary etcd leader election stalls every
/// request for 1–2 s. A primary retries until its lease's cutoff (<see cref="LeaseClock"/>): while the lease cannot have
/// expired nobody else can lead, so giving up earlier would only demote a healthy primary. Anyone else retries within
/// <c>RetryTimeout</c>, as Patroni's <c>retry_timeout</c>. No attempt runs past the deadline.
/// </summary>
internal sealed partial class DcsRetry(AgentOptions options, LeaseClock lease, TimeProvider time, ILogger logger)
{
    private static readonly TimeSpan FirstPause = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan LongestPause = TimeSpan.FromMilliseconds(400);

    /// <summary>Runs <paramref name="call"/> until it succeeds or the deadline passes; then its last DCS failure is thrown.</summary>
    /// <param name="what">For the log: what the call does.</param>
    /// <param name="call">The DCS call; each attempt gets at most <c>RetryTimeout</c>.</param>
    /// <param name="primary">This member runs a primary: retry until the lease's cutoff rather than within <c>RetryTimeout</c>.</param>
    /// <param name="ct">Stops retrying (the agent stops).</param>
    public async Task<T> RunAsync<T>(string what, Func<CancellationToken, Task<T>> call, bool primary, CancellationToken ct)
    {
        var started = time.GetTimestamp();
        var pause = FirstPause;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await Bounded.RunAsync(Min(options.RetryTimeout, Left(started, primary)), call, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (HaLoop.IsDcsFailure(ex, ct) && Left(started, primary) > pause)
            {
                LogRetrying(logger, what, attempt, ex.Message, Left(started, primary).TotalMilliseconds);
                await Task.Delay(pause, time, ct).ConfigureAwait(false);
                pause = Min(pause * 2, LongestPause);
            }
        }
    }

    /// <summary>One attempt, never past the deadline <see cref="RunAsync{T}"/> would keep: for calls whose failure costs nothing but a log line.</summary>
    public Task<T> OnceAsync<T>(Func<CancellationToken, Task<T>> call, bool primary, CancellationToken ct)
        => Bounded.RunAsync(Min(options.RetryTimeout, Left(time.GetTimestamp(), primary)), call, ct);

    /// <summary>Time left for attempts begun at <paramref name="started"/>: a primary with a lease until its cutoff, anyone else RetryTimeout.</summary>
    private TimeSpan Left(long started, bool primary)
    {
        if (primary && lease.LeaseDeadline != 0)
            return lease.UntilCutoff;
        var left = options.RetryTimeout - time.GetElapsedTime(started);
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    [LoggerMessage(EventId = 680, Level = LogLevel.Warning, Message = "Could not {What} (attempt {Attempt}: {Reason}); retrying for up to {LeftMilliseconds:0} ms more")]
    private static partial void LogRetrying(ILogger logger, string what, int attempt, string reason, double leftMilliseconds);
}
