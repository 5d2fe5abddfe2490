using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace PgHa.Agent.Ha;

/// <summary>A planned switchover (or a leader's clean stop): the clean shutdown, and the lease and fence kept around it.</summary>
internal sealed partial class HaExecutor
{
    /// <summary>
    /// How long a clean stop may keep the lease alive. Past it the agent stops renewing and lets the fence kill the
    /// server: a shutdown that never ends must not hold the cluster's leader key forever.
    /// </summary>
    internal static readonly TimeSpan CleanStopLimit = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Clean stop (the standbys receive everything), publish the shutdown checkpoint as the last position, release the
    /// key. While the server checkpoints and shuts down, the lease is renewed and the fence re-armed, as Patroni disables
    /// its watchdog for a clean demotion: a slow shutdown checkpoint must not be cut off by our own fence, which would
    /// leave a too-early position published and the last commits on the old primary only.
    /// </summary>
    private async Task StepDownAsync(string? candidate, CancellationToken ct)
    {
        LogSteppingDown(logger, options.Name, candidate ?? "any replica");
        using var stopped = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var keeper = Task.Run(() => KeepLeaseWhileStoppingAsync(stopped.Token), CancellationToken.None);
        try
        {
            // Most dirty pages written while writes still go on, so the shutdown checkpoint is short.
            await Bounded.RunAsync(options.RetryTimeout, c => postgres.ExecuteAsync("CHECKPOINT", c), ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            // a long checkpoint: the shutdown checkpoint finishes the job
        }

        try
        {
            state.StopLeading();
            await postgres.StopAsync(immediate: false, ct).ConfigureAwait(false);
        }
        finally
        {
            await stopped.CancelAsync().ConfigureAwait(false);
            await keeper.ConfigureAwait(false);
        }

        var control = await postgres.ReadControlDataAsync(ct).ConfigureAwait(false);
        if (control.State != "shut down")
        {
            // Not a clean shutdown (the fence acted after CleanStopLimit): its last checkpoint is not the end of its
            // WAL, so publishing it would let a candidate that lacks the last commits take over. Keep the key; the
            // next cycle restarts the server in place or, once the lease is gone, the most advanced replica wins.
            LogNotCleanlyStopped(logger, options.Name, control.State);
            return;
        }

        await dcs.WriteLeaderOptimeAsync(control.CheckpointPosition, control.CheckpointTimeline, ct).ConfigureAwait(false);
        _publishedOptime = -1;
        fence.Disarm();
        await dcs.ReleaseLeaderAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Renews the lease and re-arms the fence every <c>LoopWait</c> until <paramref name="stopped"/> or
    /// <see cref="CleanStopLimit"/>. It stops early if the key is lost or the fence cannot be armed; the last armed
    /// deadline then stands, and the fence kills the server if it is still up by then.
    /// </summary>
    private async Task KeepLeaseWhileStoppingAsync(CancellationToken stopped)
    {
        var started = Stopwatch.GetTimestamp();
        while (!stopped.IsCancellationRequested)
        {
            if (Since(started) > CleanStopLimit)
            {
                LogCleanStopTooLong(logger, options.Name, CleanStopLimit.TotalSeconds);
                return;
            }

            try
            {
                if (!await Bounded.RunAsync(options.RetryTimeout, dcs.RenewLeaderAsync, stopped).ConfigureAwait(false))
                {
                    LogLostKey(logger, options.Name);
                    return;
                }

                if (!ArmFence())
                    return;
            }
            catch (Exception ex) when (HaLoop.IsDcsFailure(ex, stopped))
            {
                // etcd did not answer in time: try again next round; the last armed deadline still holds.
            }
            catch (OperationCanceledException) when (stopped.IsCancellationRequested)
            {
                return;
            }

            try
            {
                await Task.Delay(options.LoopWait, clock, stopped).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(EventId = 515, Level = LogLevel.Information, Message = "{Member} steps down for {Candidate}")]
    private static partial void LogSteppingDown(ILogger logger, string member, string candidate);

    [LoggerMessage(EventId = 664, Level = LogLevel.Error, Message = "{Member}: the clean stop did not finish within {Seconds} s: no more lease renewals, the fence will act")]
    private static partial void LogCleanStopTooLong(ILogger logger, string member, double seconds);

    [LoggerMessage(EventId = 665, Level = LogLevel.Error, Message = "{Member}: the server did not shut down cleanly (state '{State}'): its position is not published and the key is kept")]
    private static partial void LogNotCleanlyStopped(ILogger logger, string member, string state);
}
