using System.Collections.Concurrent;
using System.Diagnostics;
using PgHa.Testing;

namespace PgHa.Agent.Tests.Harness;

/// <summary>
/// Asks every node <c>pg_is_in_recovery()</c> at once, every <c>period</c> (100 ms by default), and records which nodes
/// were writable in each round: the oracle for "never two writable nodes". A node that does not answer counts as not writable.
/// </summary>
internal sealed class WritableSampler : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public WritableSampler(IReadOnlyList<AgentNode> nodes, TimeSpan? period = null)
        => _loop = Task.Run(() => RunAsync(nodes, period ?? TimeSpan.FromMilliseconds(100), _stop.Token));

    /// <summary>One round: when it started (Stopwatch timestamp) and the names of the nodes that answered as writable.</summary>
    public ConcurrentQueue<(long At, IReadOnlyList<string> Writable)> Samples { get; } = new();

    /// <summary>Every node seen writable at least once.</summary>
    public IReadOnlySet<string> EverWritable => Samples.SelectMany(s => s.Writable).ToHashSet();

    /// <summary>The rounds in which more than one node was writable.</summary>
    public IReadOnlyList<(long At, IReadOnlyList<string> Writable)> SplitBrain => Samples.Where(s => s.Writable.Count > 1).ToList();

    private async Task RunAsync(IReadOnlyList<AgentNode> nodes, TimeSpan period, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            var at = Stopwatch.GetTimestamp();
            var answers = await Task.WhenAll(nodes.Select(async n => (n.Name, Writable: await IsWritableAsync(n))));
            Samples.Enqueue((at, answers.Where(a => a.Writable).Select(a => a.Name).ToList()));
            var rest = period - Stopwatch.GetElapsedTime(at);
            try
            {
                if (rest > TimeSpan.Zero)
                    await Task.Delay(rest, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static async Task<bool> IsWritableAsync(AgentNode node)
    {
        try
        {
            return !await node.ScalarAsync<bool>("SELECT pg_is_in_recovery()");
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or InvalidOperationException or TimeoutException or IOException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
