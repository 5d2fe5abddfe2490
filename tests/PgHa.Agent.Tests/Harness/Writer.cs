using System.Collections.Concurrent;
using System.Diagnostics;
using Npgsql;
using PgHa.Testing;

namespace PgHa.Agent.Tests.Harness;

/// <summary>
/// A write load: one client inserting increasing ids into <c>writes</c> on whichever node accepts writes (libpq-style
/// multi-host with <c>target_session_attrs=read-write</c>), one connection per write so it never sticks to a dead node.
/// Records every acknowledged id with its node and time.
/// </summary>
internal sealed class Writer : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public Writer(AgentCluster cluster, int? onlyPort = null)
    {
        var hosts = string.Join(',', cluster.Nodes.Where(n => onlyPort is null || n.PgPort == onlyPort).Select(n => $"127.0.0.1:{n.PgPort}"));
        ConnectionString = $"Host={hosts};Username=postgres;Database=postgres;Pooling=false;Timeout=2;Command Timeout=5"
            + (onlyPort is null ? ";Target Session Attributes=read-write;Host Recheck Seconds=0" : "");
        _loop = Task.Run(() => RunAsync(_stop.Token));
    }

    public string ConnectionString { get; }

    /// <summary>Acknowledged writes: id, port of the node that took it, and when (Stopwatch timestamp).</summary>
    public ConcurrentQueue<(long Id, int Port, long At)> Acknowledged { get; } = new();

    public int Failures;

    public static async Task CreateTableAsync(AgentNode leader) => await leader.ExecuteAsync("CREATE TABLE IF NOT EXISTS writes(id bigint PRIMARY KEY, at timestamptz DEFAULT clock_timestamp())");

    private async Task RunAsync(CancellationToken ct)
    {
        var next = 0L;
        while (!ct.IsCancellationRequested)
        {
            next++;
            try
            {
                await using var connection = new NpgsqlConnection(ConnectionString);
                await connection.OpenAsync(ct);
                await using var insert = new NpgsqlCommand($"INSERT INTO writes(id) VALUES ({next})", connection);
                await insert.ExecuteNonQueryAsync(ct);
                Acknowledged.Enqueue((next, connection.Port, Stopwatch.GetTimestamp()));
            }
            catch (Exception) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException or IOException)
            {
                Interlocked.Increment(ref Failures);
                await Task.Delay(20, CancellationToken.None);
            }
        }
    }

    /// <summary>The longest time between two consecutive acknowledged writes (the write gap an app saw).</summary>
    public TimeSpan LongestGap()
    {
        var times = Acknowledged.Select(a => a.At).Order().ToList();
        var longest = 0L;
        for (var i = 1; i < times.Count; i++)
            longest = Math.Max(longest, times[i] - times[i - 1]);
        return Stopwatch.GetElapsedTime(0, longest);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
