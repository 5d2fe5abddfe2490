using System.Collections.Concurrent;
using System.Diagnostics;
using Npgsql;
using PgHa.Testing;

namespace PgHa.Benchmarks;

/// <summary>
/// Commits one-row inserts back to back on whichever node takes writes, keeping one connection; when it fails, it
/// probes every node (1 s connect timeout) until one is writable. Records when each commit was acknowledged and where.
/// </summary>
internal sealed class FailoverWriter : IAsyncDisposable
{
    private readonly IReadOnlyList<AgentNode> _nodes;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<(AgentNode Node, long At)> _commits = new();
    private readonly Task _loop;
    private int _failed;

    public FailoverWriter(IReadOnlyList<AgentNode> nodes)
    {
        _nodes = nodes;
        _loop = Task.Run(() => RunAsync(_stop.Token));
    }

    public int FailedAttempts => _failed;

    public async Task WaitForCommitsAsync(AgentNode node, int count)
    {
        while (_commits.Count(c => c.Node == node) < count)
            await Task.Delay(20);
    }

    public async Task<AgentNode> WaitForCommitOnOtherNodeAsync(AgentNode old, TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            if (_commits.FirstOrDefault(c => c.Node != old) is { Node: { } next })
                return next;
            await Task.Delay(10);
        }

        throw new TimeoutException("No commit on a new primary.");
    }

    public long LastCommitOn(AgentNode node) => _commits.Where(c => c.Node == node).Max(c => c.At);

    public long FirstCommitOn(AgentNode node, long after) => _commits.Where(c => c.Node == node && c.At > after).Min(c => c.At);

    private async Task RunAsync(CancellationToken ct)
    {
        NpgsqlConnection? connection = null;
        AgentNode? target = null;
        var id = 0L;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (connection is null)
                    (connection, target) = await FindWritableAsync(ct);
                if (connection is null)
                    continue;
                await using var insert = new NpgsqlCommand($"INSERT INTO time_to_writable(id) VALUES ({++id})", connection);
                await insert.ExecuteNonQueryAsync(ct);
                _commits.Enqueue((target!, Stopwatch.GetTimestamp()));
            }
            catch (Exception) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or IOException or TimeoutException)
            {
                Interlocked.Increment(ref _failed);
                if (connection is not null)
                    await connection.DisposeAsync();
                connection = null;
            }
        }

        if (connection is not null)
            await connection.DisposeAsync();
    }

    private async Task<(NpgsqlConnection?, AgentNode?)> FindWritableAsync(CancellationToken ct)
    {
        foreach (var node in _nodes)
        {
            var connection = new NpgsqlConnection(node.ConnectionString.Replace("Timeout=3", "Timeout=1", StringComparison.Ordinal));
            try
            {
                await connection.OpenAsync(ct);
                await using var check = new NpgsqlCommand("SELECT pg_is_in_recovery()", connection);
                if (!(bool)(await check.ExecuteScalarAsync(ct))!)
                {
                    await using var create = new NpgsqlCommand("CREATE TABLE IF NOT EXISTS time_to_writable(id bigint, at timestamptz DEFAULT clock_timestamp())", connection);
                    await create.ExecuteNonQueryAsync(ct);
                    return (connection, node);
                }
            }
            catch (Exception ex) when (ex is NpgsqlException or IOException or TimeoutException && !ct.IsCancellationRequested)
            {
            }

            await connection.DisposeAsync();
        }

        await Task.Delay(5, ct);
        return (null, null);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }
}
