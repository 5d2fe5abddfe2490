using System.Collections.Concurrent;
using System.Diagnostics;
using Npgsql;
using PgHa.Client;
using PgHa.Client.Resilience;

namespace PgHa.Samples.ConsoleDemo;

/// <summary>What an application does meanwhile: one writer and one reader through the data source, each
/// recording what it saw.</summary>
internal sealed class Workload(PgHaDataSource dataSource, Timeline timeline)
{
    public int WritesOk;
    public int ReadsOk;
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
                // A unit of work: retried on the new primary after a failover. Keyed by a client-made id and
                // idempotent, so one whose COMMIT was cut off by the crash may safely run again.
                var port = await dataSource.ExecuteWriteAsync(async (connection, transaction, ct) =>
                {
                    await using var insert = new NpgsqlCommand(
                        "WITH inserted AS (INSERT INTO demo(id) VALUES ($1) ON CONFLICT (id) DO NOTHING) SELECT inet_server_port()", connection, transaction);
                    insert.Parameters.AddWithValue(id);
                    return (int)(await insert.ExecuteScalarAsync(ct))!;
                }, new UnitOfWorkOptions { IsIdempotent = true }, stop);
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
                await using var connection = await dataSource.OpenConnectionAsync(TargetRole.Replica, stop);
                await using var read = new NpgsqlCommand("SELECT inet_server_port()", connection);
                var port = (int)(await read.ExecuteScalarAsync(stop))!;
                ReadsByPort.AddOrUpdate(port, 1, (_, n) => n + 1);
                Interlocked.Increment(ref ReadsOk);
            }
            catch (Exception ex) when (ex is NpgsqlException or PgHaException && !stop.IsCancellationRequested)
            {
                timeline.Say($"  reader error: {Short(ex)}");
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                return; // stopping: cancellation, or a COMMIT cut off by it (reported as outcome unknown)
            }

            await Task.Delay(20, CancellationToken.None);
        }
    }

    private static string Short(Exception ex) => ex is PostgresException pg ? $"{pg.SqlState} {pg.MessageText}" : ex.Message.Split('\n')[0];
}
