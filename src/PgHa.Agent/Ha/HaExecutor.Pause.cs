using Microsoft.Extensions.Logging;

namespace PgHa.Agent.Ha;

internal sealed partial class HaExecutor
{
    /// <summary>
    /// Stopping a paused agent leaves PostgreSQL alone, as in Patroni, where pausing is how the agent itself is restarted
    /// or upgraded: no switchover, no shutdown, and the watchdog disarmed so it cannot fence the server later. The leader
    /// key is not released but left to expire with the session lease; paused members do not race for it, and the
    /// restarted agent takes it back for its running primary. If etcd does not answer, the last view decides.
    /// </summary>
    /// <returns><see langword="true"/> if the cluster is paused and the agent may simply exit.</returns>
    private async Task<bool> LeaveRunningIfPausedAsync(CancellationToken ct)
    {
        bool paused;
        try
        {
            paused = (await Bounded.RunAsync(options.RetryTimeout, dcs.LoadAsync, ct).ConfigureAwait(false)).IsPaused;
        }
        catch (Exception ex) when (HaLoop.IsDcsFailure(ex, ct))
        {
            paused = state.Current.View?.IsPaused == true;
        }

        if (!paused)
            return false;
        fence.Disarm();
        LogLeftRunningPaused(logger, options.Name);
        return true;
    }

    [LoggerMessage(EventId = 690, Level = LogLevel.Warning, Message = "{Member}: the cluster is paused: the agent stops and leaves PostgreSQL running as it is (the leader key, if held, expires with the lease)")]
    private static partial void LogLeftRunningPaused(ILogger logger, string member);
}
