using Microsoft.Extensions.Logging;

namespace PgHa.Agent.Ha;

internal sealed partial class HaExecutor
{
    /// <summary>
    /// etcd did not answer, retried (<see cref="DcsRetry"/>) until the lease's cutoff for a primary. A primary keeps
    /// taking writes only while its lease certainly has not run out (<see cref="LeaseClock.BeforeCutoff"/>); past that it
    /// demotes to a read-only standby (reads go on), because another member may soon hold the key. Failsafe mode
    /// (staying up while every member still answers) is deliberately not offered: see README.
    /// </summary>
    public async Task OnDcsUnreachableAsync(ObservedPostgres observed, CancellationToken ct)
    {
        if (observed.Status == LocalPostgresStatus.Stopped)
        {
            // e.g. fenced by the watchdog: come back read-only, so reads go on through the outage
            await postgres.SetNoUpstreamAsync(ct).ConfigureAwait(false);
            await postgres.StartAsync(wait: false, ct).ConfigureAwait(false);
            return;
        }

        if (observed.Status != LocalPostgresStatus.RunningPrimary || Lease.BeforeCutoff)
            return;
        LogDemoteDcsDown(logger, options.Name);
        await DemoteAsync(ct).ConfigureAwait(false);
        await postgres.SetNoUpstreamAsync(ct).ConfigureAwait(false);
        await postgres.StartAsync(wait: false, ct).ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 500, Level = LogLevel.Warning, Message = "{Member}: etcd unreachable until the lease's cutoff: demoting to a read-only standby")]
    private static partial void LogDemoteDcsDown(ILogger logger, string member);
}
