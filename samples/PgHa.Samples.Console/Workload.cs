using System.Collections.Concurrent;
using System.Diagnostics;
using Npgsql;
using PgHa.Client;

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
                await using var connection = await dataSource.OpenConnectionAsync(stop);
                await using var insert = new NpgsqlCommand("INSERT INTO demo(id) VALUES ($1) RETURNING inet_server_port()", connection);
                insert.Parameters.AddWithValue(id);
                var port = (int)(await insert.ExecuteScalarAsync(stop))!;
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
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
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
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }

            await Task.Delay(20, CancellationToken.None);
        }
    }

    private static string Short(Exception ex) => ex is PostgresException pg ? $"{pg.SqlState} {pg.MessageText}" : ex.Message.Split('\n')[0];
}
