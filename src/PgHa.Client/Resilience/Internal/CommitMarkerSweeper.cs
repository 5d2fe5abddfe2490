using Microsoft.Extensions.Logging;

namespace PgHa.Client.Resilience.Internal;

/// <summary>
/// Deletes commit markers older than <see cref="PgHaOptions.CommitMarkerRetention"/>, on the primary, at most once
/// per tenth of the retention and only while this data source writes (an idle application leaves the table alone).
/// One sweep runs at a time; failures are logged and the next write after the interval tries again.
/// </summary>
internal sealed partial class CommitMarkerSweeper(PgHaDataSource dataSource, CommitMarkers markers, TimeSpan retention, TimeProvider time, ILogger logger) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly TimeSpan _interval = retention / 10;
    private readonly object _gate = new();
    private DateTimeOffset _nextSweep = time.GetUtcNow() + retention / 10;
    private Task _running = Task.CompletedTask;

    /// <summary>Called after each successful write: starts a sweep in the background when one is due.</summary>
    public void AfterWrite()
    {
        var now = time.GetUtcNow();
        if (now < _nextSweep)
            return;
        lock (_gate)
        {
            if (now < _nextSweep || !_running.IsCompleted || _stop.IsCancellationRequested)
                return;
            _nextSweep = now + _interval;
            _running = Task.Run(() => SweepAsync(now - retention));
        }
    }

    /// <summary>Deletes markers older than <paramref name="cutoff"/> now (tests and the background sweep).</summary>
    public async Task<long> SweepAsync(DateTimeOffset cutoff)
    {
        try
        {
            var connection = await dataSource.OpenConnectionAsync(TargetRole.Primary, _stop.Token).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                var deleted = await markers.SweepAsync(connection, cutoff, _stop.Token).ConfigureAwait(false);
                LogSwept(logger, deleted, markers.Table, cutoff);
                return deleted;
            }
        }
        catch (Exception ex) when (!_stop.IsCancellationRequested)
        {
            LogSweepFailed(logger, markers.Table, ex);
            return 0;
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
            return 0; // the data source is being disposed: cancelled, or its pools already closed
        }
    }

    public async ValueTask DisposeAsync()
    {
        Task running;
        lock (_gate)
        {
            _stop.Cancel();
            running = _running;
        }

        await running.ConfigureAwait(false);
        _stop.Dispose();
    }

    [LoggerMessage(EventId = 2010, Level = LogLevel.Debug, Message = "Deleted {Count} commit markers from {Table} older than {Cutoff:o}")]
    private static partial void LogSwept(ILogger logger, long count, string table, DateTimeOffset cutoff);

    [LoggerMessage(EventId = 2011, Level = LogLevel.Warning, Message = "Could not delete old commit markers from {Table}; will try again after the next interval")]
    private static partial void LogSweepFailed(ILogger logger, string table, Exception exception);
}
