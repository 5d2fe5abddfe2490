using System.Collections.Concurrent;
using System.Diagnostics;
using Npgsql;
using PgHa.Client;

namespace PgHa.Samples.ConsoleDemo;

/// <summary>What an application does meanwhile: one user's session writing and reading through the data source,
/// recording what it saw.</summary>
internal sealed class Workload(PgHaDataSource dataSource, Timeline timeline)
{
    private readonly PgHaSession _session = dataSource.CreateSession();
    private int _lastAcknowledged = -1;
    public int WritesOk;
    public int ReadsOk;
    public int ReadsMissingOwnWrite;
    public ConcurrentBag<int> Acknowledged { get; } = [];
    public TimeSpan LongestWriteGap;
    public ConcurrentQueue<string> Errors { get; } = new();
    public ConcurrentDictionary<int, int> WritesByPort { get; } = new();
    public ConcurrentDictionary<int, int> ReadsByPort { get; } = new();

    public Task RunAsync(CancellationToken stop) => Task.WhenAll(WriteAsync(stop), ReadAsync(stop));

    private async Task WriteAsync(CancellationToken stop)
    {
        var lastOk = Stopwatch.StartNew();
        for (var id = 0; !stop.IsCancellationRequested; id++)
        {
            try
            {
                // A unit of work: run again on the new primary after a failover. A plain INSERT: if the crash cuts
                // its COMMIT off, PgHa looks the commit up on the new primary instead of running it twice.
                var port = await _session.ExecuteWriteAsync(async (connection, transaction, ct) =>
                {
                    await using var insert = new NpgsqlCommand("INSERT INTO demo(id) VALUES ($1) RETURNING inet_server_port()", connection, transaction);
                    insert.Parameters.AddWithValue(id);
                    return (int)(await insert.ExecuteScalarAsync(ct))!;
                }, cancellationToken: stop);
                Acknowledged.Add(id);
                Volatile.Write(ref _lastAcknowledged, id);
                WritesByPort.AddOrUpdate(port, 1, (_, n) => n + 1);
                Interlocked.Increment(ref WritesOk);
                if (lastOk.Elapsed > LongestWriteGap)
                    LongestWriteGap = lastOk.Elapsed;
                lastOk.Restart();
            }
            catch (Exception ex) when (ex is NpgsqlException or PgHaException && !stop.IsCancellationRequested)
            {
                Errors.Enqueue(ex is PostgresException pg ? pg.SqlState : ex.GetType().Name);
                timeline.Say($"  writer error: {Short(ex)}");
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                return; // stopping: cancellation, or a COMMIT cut off by it (reported as outcome unknown)
            }

            await Task.Delay(20, CancellationToken.None);
        }
    }

    private async Task ReadAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                // Read-your-writes: the session's reads go to a replica that has replayed its latest write, or the primary.
                var mustSee = Volatile.Read(ref _lastAcknowledged);
                var (newest, port) = await _session.ExecuteReadAsync(async (connection, ct) =>
                {
                    await using var read = new NpgsqlCommand("SELECT coalesce(max(id), -1), inet_server_port() FROM demo", connection);
                    await using var reader = await read.ExecuteReaderAsync(ct);
                    await reader.ReadAsync(ct);
                    return (reader.GetInt32(0), reader.GetInt32(1));
                }, cancellationToken: stop);
                if (newest < mustSee)
                    Interlocked.Increment(ref ReadsMissingOwnWrite);
                ReadsByPort.AddOrUpdate(port, 1, (_, n) => n + 1);
                Interlocked.Increment(ref ReadsOk);
            }
            catch (Exception ex) when (ex is NpgsqlException or PgHaException && !stop.IsCancellationRequested)
            {
                timeline.Say($"  reader error: {Short(ex)}");
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                return;
            }

            await Task.Delay(20, CancellationToken.None);
        }
    }

    private static string Short(Exception ex) => ex is PostgresException pg ? $"{pg.SqlState} {pg.MessageText}" : ex.Message.Split('\n')[0];
}
