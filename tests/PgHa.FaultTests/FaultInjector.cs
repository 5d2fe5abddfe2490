using System.Diagnostics;
using PgHa.Testing;

namespace PgHa.FaultTests;

internal enum FaultKind
{
    /// <summary>SIGKILL of the agent, its watchdog and PostgreSQL together; the agent is started again after the hold (it rejoins).</summary>
    KillNode,

    /// <summary>SIGKILL of the postmaster and its backends only; the agent decides what follows.</summary>
    KillPostmaster,

    /// <summary>SIGSTOP of the whole node for the hold, then SIGCONT.</summary>
    FreezeNode,

    /// <summary>A planned switchover to a random replica (POST /switchover).</summary>
    Switchover,

    /// <summary>The node's link to the bridge goes down for the hold: every packet to or from it is dropped.</summary>
    IsolateNode,

    /// <summary>SIGSTOP of etcd for the hold: no lease can be renewed.</summary>
    PauseEtcd,

    /// <summary>The leader key is deleted in etcd (as <c>etcdctl del</c> would) while the leader is healthy: no hold; it must take the key back, no failover.</summary>
    DeleteLeaderKey,

    /// <summary>A switchover whose shutdown checkpoint is held up: the leader's checkpointer is stopped, the switchover starts, the hold passes the lease, then it resumes.</summary>
    SlowShutdownSwitchover,
}

/// <summary>
/// One fault as it was injected: when (since the workload started), on which node, held how long, how long after
/// healing the cluster was healthy again, and with which leader. Its <paramref name="Window"/> runs from its start to
/// the cluster healthy again.
/// </summary>
internal sealed record InjectedFault(FaultKind Kind, string Target, bool OnLeader, TimeSpan At, TimeSpan Held, TimeSpan Recovery, string LeaderAfter, string Note, Stretch Window);

/// <summary>
/// Injects faults from a seeded random sequence: before each, waits for a healthy cluster and a little quiet
/// time; after each, heals what it did and waits for the cluster to be healthy again (a leader and two streaming
/// replicas). The short profile injects every kind once, on the leader, in random order; the long one picks kinds and
/// targets (three in four on the leader) at random until its duration is spent.
/// </summary>
internal sealed class FaultInjector(FaultCluster cluster, FaultProfile profile, Action<string> log)
{
    private static readonly TimeSpan HealthyTimeout = TimeSpan.FromSeconds(120);
    private readonly Random _random = new(profile.Seed);

    public async Task<IReadOnlyList<InjectedFault>> RunAsync(long workloadStarted, CancellationToken ct)
    {
        var done = new List<InjectedFault>();
        var plan = profile.EveryKindOnce ? new Queue<FaultKind>(Enum.GetValues<FaultKind>().OrderBy(_ => _random.Next())) : null;
        var clock = Stopwatch.StartNew();
        while (plan is { Count: > 0 } || (plan is null && clock.Elapsed < profile.Duration))
        {
            var kind = plan?.Dequeue() ?? Enum.GetValues<FaultKind>()[_random.Next(Enum.GetValues<FaultKind>().Length)];
            var leader = await cluster.WaitForHealthyAsync(HealthyTimeout, ct);
            await Task.Delay(TimeSpan.FromMilliseconds(_random.Next(1000, 3000)), ct);
            var target = kind is FaultKind.Switchover or FaultKind.SlowShutdownSwitchover or FaultKind.PauseEtcd or FaultKind.DeleteLeaderKey || profile.EveryKindOnce || _random.NextDouble() < 0.75
                ? leader
                : cluster.Nodes.Where(n => n != leader).ElementAt(_random.Next(cluster.Nodes.Count - 1));
            var hold = profile.Hold(kind, _random);
            var start = Stopwatch.GetTimestamp();
            var at = Stopwatch.GetElapsedTime(workloadStarted, start);
            log($"{at.TotalSeconds,7:0.0} s  {kind} on {target.Name}{(target == leader ? " (leader)" : "")}");
            var (held, note) = await InjectAsync(kind, target, leader, hold, ct);
            var healed = Stopwatch.GetTimestamp();
            var now = await cluster.WaitForHealthyAsync(HealthyTimeout, ct);
            var healthyAgain = Stopwatch.GetTimestamp();
            var recovery = Stopwatch.GetElapsedTime(healed, healthyAgain);
            log($"          healthy again after {recovery.TotalSeconds:0.0} s, leader {now.Name}{(note.Length > 0 ? "; " + note : "")}");
            done.Add(new InjectedFault(kind, target.Name, target == leader, at, held, recovery, now.Name, note, new Stretch(start, healthyAgain)));
        }

        return done;
    }

    private async Task<(TimeSpan Held, string Note)> InjectAsync(FaultKind kind, AgentNode target, AgentNode leader, TimeSpan hold, CancellationToken ct)
    {
        switch (kind)
        {
            case FaultKind.KillNode:
                target.KillNode();
                await Task.Delay(hold, ct);
                target.Start();
                return (hold, "");
            case FaultKind.KillPostmaster:
                target.KillPostmaster();
                return (TimeSpan.Zero, "");
            case FaultKind.FreezeNode:
                target.FreezeNode();
                try
                {
                    await Task.Delay(hold, ct);
                }
                finally
                {
                    target.ThawNode();
                }

                return (hold, "");
            case FaultKind.Switchover:
                return (TimeSpan.Zero, await SwitchoverAsync(leader, ct));
            case FaultKind.IsolateNode:
                await cluster.Network.CutAsync(target.Name, ct);
                try
                {
                    if (await AcceptsConnectionsAsync(target))
                        throw new InvalidOperationException($"{target.Name} still answers on the network after its link was cut.");
                    await Task.Delay(hold, ct);
                }
                finally
                {
                    await cluster.Network.HealAsync(target.Name, CancellationToken.None);
                }

                return (hold, "");
            case FaultKind.PauseEtcd:
                cluster.Etcd.Members[0].Freeze();
                try
                {
                    await Task.Delay(hold, ct);
                }
                finally
                {
                    cluster.Etcd.Members[0].Thaw();
                }

                return (hold, "");
            case FaultKind.DeleteLeaderKey:
                return (TimeSpan.Zero, await DeleteLeaderKeyAsync(ct));
            case FaultKind.SlowShutdownSwitchover:
                return await SlowShutdownSwitchoverAsync(leader, hold, ct);
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }
    }

    /// <summary>
    /// Asks the leader to hand over. The leader can change between the health check and the request (a fault just
    /// healed can still cost it the lease), which the agent rightly refuses: ask the new leader, three times at most.
    /// </summary>
    private async Task<string> SwitchoverAsync(AgentNode leader, CancellationToken ct)
    {
        var refusals = new List<string>();
        for (var attempt = 0; attempt < 3; attempt++)
        {
            // In synchronous mode only the synchronous standby may be named: let the agent choose it.
            var candidate = profile.Synchronous ? null : cluster.Nodes.Where(n => n != leader).ElementAt(_random.Next(cluster.Nodes.Count - 1)).Name;
            var (code, text) = await leader.PostAsync("/switchover", new { leader = leader.Name, candidate }, FaultCluster.Token);
            if (code == 200)
                return $"to {candidate ?? "the synchronous standby"}{(refusals.Count > 0 ? $" (after: {string.Join("; ", refusals)})" : "")}";
            refusals.Add($"{code} {text}");
            leader = await cluster.WaitForHealthyAsync(HealthyTimeout, ct);
        }

        throw new InvalidOperationException($"The switchover was refused three times: {string.Join("; ", refusals)}");
    }

    /// <summary>Deletes <c>/service/faults/leader</c> (FaultCluster's scope) through etcd's v3 JSON gateway.</summary>
    private async Task<string> DeleteLeaderKeyAsync(CancellationToken ct)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var key = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("/service/faults/leader"));
        using var response = await http.PostAsync(new Uri(new Uri(cluster.Etcd.Endpoints[0]), "/v3/kv/deleterange"), System.Net.Http.Json.JsonContent.Create(new { key }), ct);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadAsStringAsync(ct)).Contains("\"deleted\"", StringComparison.Ordinal) ? "" : "the leader key was already gone";
    }

    /// <summary>Stops the leader's checkpointer, asks for a switchover, resumes the checkpointer after the hold: the switchover then completes.</summary>
    private async Task<(TimeSpan Held, string Note)> SlowShutdownSwitchoverAsync(AgentNode leader, TimeSpan hold, CancellationToken ct)
    {
        var checkpointer = NodeProcesses.Checkpointer(leader) ?? throw new InvalidOperationException($"No checkpointer found under {leader.Name}'s postmaster.");
        NodeProcesses.Stop(checkpointer);
        Task<string> switchover;
        try
        {
            switchover = SwitchoverAsync(leader, ct);
            await Task.Delay(hold, ct);
        }
        finally
        {
            NodeProcesses.Continue(checkpointer);
        }

        return (hold, await switchover);
    }

    private static async Task<bool> AcceptsConnectionsAsync(AgentNode node)
    {
        using var socket = new System.Net.Sockets.TcpClient();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        try
        {
            await socket.ConnectAsync(node.Host, node.PgPort, timeout.Token);
            return true;
        }
        catch (Exception ex) when (ex is OperationCanceledException or System.Net.Sockets.SocketException)
        {
            return false;
        }
    }
}
