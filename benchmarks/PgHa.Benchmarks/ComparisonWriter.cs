using System.Collections.Concurrent;
using System.Diagnostics;
using Npgsql;
using PgHa.Client;

namespace PgHa.Benchmarks;

/// <summary>
/// One application writing one-row INSERTs back to back through one client set-up, recording when each write was
/// acknowledged and when the application code saw an error. Plain Npgsql set-ups retry at once after an error (10 ms
/// pause), as an app with a simple retry loop would; PgHa's loop is <c>ExecuteWriteAsync</c>, which retries itself.
/// </summary>
internal sealed class ComparisonWriter : IAsyncDisposable
{
    private static readonly TimeSpan PauseAfterError = TimeSpan.FromMilliseconds(10);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private ComparisonWriter(string name, Func<long, CancellationToken, Task> write)
    {
        Name = name;
        _loop = Task.Run(() => RunAsync(write, _stop.Token));
    }

    public string Name { get; }

    public ConcurrentQueue<long> Acks { get; } = new();

    public ConcurrentQueue<long> Errors { get; } = new();

    /// <summary>Errors that were <see cref="PgHaCommitOutcomeUnknownException"/>: the app cannot tell whether its write happened.</summary>
    public ConcurrentQueue<long> UnknownOutcomes { get; } = new();

    public static ComparisonWriter ThroughPgHa(PgHaDataSource dataSource) => new("PgHa", (id, ct) => dataSource.ExecuteWriteAsync(async (c, tx, t) =>
    {
        await using var insert = new NpgsqlCommand($"INSERT INTO failover_comparison(client, id) VALUES ('pgha', {id})", c, tx);
        await insert.ExecuteNonQueryAsync(t);
    }, cancellationToken: ct));

    public static ComparisonWriter ThroughNpgsql(string name, NpgsqlDataSource dataSource) => new(name, async (id, ct) =>
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var insert = new NpgsqlCommand($"INSERT INTO failover_comparison(client, id) VALUES ('{name}', {id})", connection);
        await insert.ExecuteNonQueryAsync(ct);
    });

    private async Task RunAsync(Func<long, CancellationToken, Task> write, CancellationToken ct)
    {
        var id = 0L;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await write(++id, ct);
                Acks.Enqueue(Stopwatch.GetTimestamp());
            }
            catch (Exception) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is NpgsqlException or PgHaException or InvalidOperationException or IOException or TimeoutException)
            {
                Errors.Enqueue(Stopwatch.GetTimestamp());
                if (ex is PgHaCommitOutcomeUnknownException)
                    UnknownOutcomes.Enqueue(Stopwatch.GetTimestamp());
                await Task.Delay(PauseAfterError, CancellationToken.None);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
