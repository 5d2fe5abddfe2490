using System.Collections.Concurrent;
using System.Diagnostics;
using Npgsql;
using Xunit;

namespace PgHa.Client.IntegrationTests;

/// <summary>
/// An application's writers: each inserts fresh ids into <c>ids</c> with <c>ExecuteWriteAsync</c>, 10 ms apart, and
/// records what was acknowledged and every error it saw. Stopped, not cancelled: each finishes the unit it is in.
/// </summary>
internal sealed class Writers : IAsyncDisposable
{
    private readonly PgHaDataSource _dataSource;
    private readonly CancellationTokenSource _stop = new();
    private Task[] _tasks = [];
    private int _next;

    private Writers(PgHaDataSource dataSource) => _dataSource = dataSource;

    public ConcurrentQueue<int> Acknowledged { get; } = new();

    public ConcurrentQueue<Exception> Errors { get; } = new();

    public static Writers Start(PgHaDataSource dataSource, int count)
    {
        var writers = new Writers(dataSource);
        writers._tasks = Enumerable.Range(0, count).Select(_ => Task.Run(writers.WriteAsync)).ToArray();
        return writers;
    }

    /// <summary>Waits until at least <paramref name="count"/> writes were acknowledged in all; fails the test after <paramref name="timeout"/> (default 15 s).</summary>
    public async Task WaitForAcknowledgedAsync(int count, TimeSpan? timeout = null)
    {
        var clock = Stopwatch.StartNew();
        while (Acknowledged.Count < count)
        {
            Assert.True(clock.Elapsed < (timeout ?? TimeSpan.FromSeconds(15)),
                $"{Acknowledged.Count} writes acknowledged, waited for {count}; errors: {string.Join("; ", Errors.Select(e => e.Message))}; {_dataSource.Topology}");
            await Task.Delay(20);
        }
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_tasks);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
            await StopAsync();
        _stop.Dispose();
    }

    private async Task WriteAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var id = Interlocked.Increment(ref _next);
            try
            {
                await _dataSource.ExecuteWriteAsync(async (c, t, ct) =>
                {
                    await using var insert = new NpgsqlCommand("INSERT INTO ids VALUES ($1)", c, t) { Parameters = { new() { Value = id } } };
                    await insert.ExecuteNonQueryAsync(ct);
                });
                Acknowledged.Enqueue(id);
            }
            catch (Exception ex)
            {
                Errors.Enqueue(ex);
            }

            await Task.Delay(10);
        }
    }
}
