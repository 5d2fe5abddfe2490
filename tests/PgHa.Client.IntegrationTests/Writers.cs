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
    private int[] _perWriter = [];
    private int _next;

    private Writers(PgHaDataSource dataSource) => _dataSource = dataSource;

    public ConcurrentQueue<int> Acknowledged { get; } = new();

    public ConcurrentQueue<Exception> Errors { get; } = new();

    public static Writers Start(PgHaDataSource dataSource, int count)
    {
        var writers = new Writers(dataSource) { _perWriter = new int[count] };
        writers._tasks = Enumerable.Range(0, count).Select(w => Task.Run(() => writers.WriteAsync(w))).ToArray();
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

    /// <summary>How many writes each writer has had acknowledged so far.</summary>
    public int[] PerWriter() => [.. _perWriter];

    /// <summary>Waits until every writer has had a write acknowledged beyond <paramref name="baseline"/> (from <see cref="PerWriter"/>).</summary>
    public async Task WaitForEveryWriterAsync(int[] baseline, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (PerWriter().Zip(baseline).Any(p => p.First <= p.Second))
        {
            Assert.True(clock.Elapsed < timeout,
                $"writers stuck: acknowledged {string.Join(", ", PerWriter())} (were {string.Join(", ", baseline)}); errors: {string.Join("; ", Errors.Select(e => e.Message))}; {_dataSource.Topology}");
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

    private async Task WriteAsync(int writer)
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
                Interlocked.Increment(ref _perWriter[writer]);
            }
            catch (Exception ex)
            {
                Errors.Enqueue(ex);
            }

            await Task.Delay(10);
        }
    }
}
