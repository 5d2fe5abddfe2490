using System.Collections.Concurrent;
using System.Diagnostics;
using Npgsql;
using PgHa.Testing;

namespace PgHa.Benchmarks;

/// <summary>
/// Asks every node, every 20 ms and each on its own connection and loop (a frozen node holds up only its own), whether
/// it takes writes. After a fault this tells when the cluster had a writable primary again: the reference the clients'
/// time to writable is compared with.
/// </summary>
internal sealed class WritableWatch : IAsyncDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(20);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _loops;
    private readonly ConcurrentQueue<(string Node, long At, bool Writable)> _answers = new();

    public WritableWatch(IReadOnlyList<AgentNode> nodes)
        => _loops = nodes.Select(n => Task.Run(() => WatchAsync(n, _stop.Token))).ToArray();

    /// <summary>
    /// The first moment after <paramref name="faultAt"/> at which a node took writes again: another node than
    /// <paramref name="oldLeader"/>, or the old leader itself once it had stopped taking them (a restarted postmaster).
    /// </summary>
    public long? WritableAgainAfter(long faultAt, AgentNode oldLeader)
    {
        long? first = null;
        foreach (var node in _answers.Where(a => a.At >= faultAt).GroupBy(a => a.Node))
        {
            var outageSeen = node.Key != oldLeader.Name;
            foreach (var (_, at, writable) in node.OrderBy(a => a.At))
            {
                if (!writable)
                    outageSeen = true;
                else if (outageSeen)
                {
                    first = first is { } f && f < at ? f : at;
                    break;
                }
            }
        }

        return first;
    }

    private async Task WatchAsync(AgentNode node, CancellationToken stop)
    {
        var settings = new NpgsqlConnectionStringBuilder(node.ConnectionString) { Pooling = true, Timeout = 1, CommandTimeout = 1, CancellationTimeout = -1 };
        await using var dataSource = NpgsqlDataSource.Create(settings.ConnectionString);
        while (!stop.IsCancellationRequested)
        {
            bool writable;
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stop);
                await using var ask = new NpgsqlCommand("SELECT NOT pg_is_in_recovery() AND current_setting('transaction_read_only') = 'off'", connection);
                writable = (bool)(await ask.ExecuteScalarAsync(stop))!;
            }
            catch (Exception) when (!stop.IsCancellationRequested)
            {
                writable = false;
            }
            catch (OperationCanceledException)
            {
                break;
            }

            _answers.Enqueue((node.Name, Stopwatch.GetTimestamp(), writable));
            await Task.Delay(Interval, CancellationToken.None);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_loops);
        _stop.Dispose();
    }
}
