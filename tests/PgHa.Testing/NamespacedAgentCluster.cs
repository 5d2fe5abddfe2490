using System.Globalization;
using System.Text.Json.Nodes;

namespace PgHa.Testing;

/// <summary>
/// etcd and three real pgha-agent processes (n1, n2, n3) at their default HA settings, each agent (and the PostgreSQL
/// it runs) in a network namespace of its own (<see cref="NodeNetwork"/>) and etcd on the host's bridge address, so
/// that a node can be cut off the network as well as killed or frozen. The agent is <c>pgha-agent.dll</c> next to
/// the running application. Needs root and iproute2.
/// </summary>
public sealed class NamespacedAgentCluster : IAsyncDisposable
{
    private readonly PgScratchDirectory _scratch;
    private readonly bool _synchronous;

    private NamespacedAgentCluster(NodeNetwork network, EtcdCluster etcd, PgScratchDirectory scratch, IReadOnlyList<AgentNode> nodes, bool synchronous)
    {
        (Network, Etcd, _scratch, Nodes, _synchronous) = (network, etcd, scratch, nodes, synchronous);
    }

    /// <summary>The nodes' namespaces and the bridge that joins them to the host.</summary>
    public NodeNetwork Network { get; }

    /// <summary>The agents' etcd, listening on <see cref="NodeNetwork.HostAddress"/>.</summary>
    public EtcdCluster Etcd { get; }

    /// <summary>The nodes, each listening on its namespace's address.</summary>
    public IReadOnlyList<AgentNode> Nodes { get; }

    /// <summary>The client's connection string: every node's address, as an application would list them.</summary>
    public string ConnectionString =>
        $"Host={string.Join(',', Nodes.Select(n => $"{n.Host}:{n.PgPort.ToString(CultureInfo.InvariantCulture)}"))};Username=postgres;Database=postgres;Timeout=3;Command Timeout=5";

    /// <summary>
    /// Creates the network, starts etcd and the agents (in <paramref name="scope"/>, accepting
    /// <paramref name="restToken"/> on the REST API, in synchronous mode if <paramref name="synchronous"/>), and
    /// returns without waiting for a leader.
    /// </summary>
    /// <exception cref="PgHarnessException">Not root, iproute2 or etcd missing, or a command failed.</exception>
    public static async Task<NamespacedAgentCluster> StartAsync(string scope, string restToken, bool synchronous = false)
    {
        string[] names = ["n1", "n2", "n3"];
        var network = await NodeNetwork.CreateAsync(names);
        EtcdCluster? etcd = null;
        PgScratchDirectory? scratch = null;
        try
        {
            etcd = await EtcdCluster.StartAsync(new EtcdClusterOptions { ListenAddress = network.HostAddress });
            scratch = await PgScratchDirectory.CreateAsync();
            var agent = Path.Combine(AppContext.BaseDirectory, "pgha-agent.dll");
            var nodes = names.Select(name => new AgentNode(
                name, scratch.DataDirectoryFor(name), LoopbackPorts.Next(), LoopbackPorts.Next(), agent,
                node => Arguments(node, scope, restToken, etcd, scratch, synchronous), network.AddressOf(name), network.LauncherFor(name))).ToList();
            foreach (var node in nodes)
                node.Start();
            return new NamespacedAgentCluster(network, etcd, scratch, nodes, synchronous);
        }
        catch
        {
            if (scratch is not null)
                await scratch.DisposeAsync();
            if (etcd is not null)
                await etcd.DisposeAsync();
            await network.DisposeAsync();
            throw;
        }
    }

    private static List<string> Arguments(AgentNode node, string scope, string restToken, EtcdCluster etcd, PgScratchDirectory scratch, bool synchronous)
    {
        var subnet = string.Join('.', node.Host.Split('.').Take(3)) + ".0/24";
        var settings = new Dictionary<string, string>
        {
            ["Name"] = node.Name,
            ["Scope"] = scope,
            ["DataDirectory"] = node.DataDirectory,
            ["BinDirectory"] = scratch.BinDirectory,
            ["Listen"] = $"{node.Host}:{node.PgPort.ToString(CultureInfo.InvariantCulture)}",
            ["RestListen"] = $"{node.Host}:{node.RestPort.ToString(CultureInfo.InvariantCulture)}",
            ["RestToken"] = restToken,
            ["EtcdEndpoints"] = string.Join(',', etcd.Endpoints),
            ["SynchronousMode"] = synchronous ? "true" : "false",
            // The nodes and the test process talk over the bridge, which initdb's loopback-only rules would refuse.
            ["PgHba:0"] = $"host all all {subnet} trust",
            ["PgHba:1"] = $"host replication all {subnet} trust",
            // The fault suite's writability monitor connects over the Unix socket as postgres, from the root test process.
            ["LocalAuthentication"] = "trust",
        };
        if (scratch.OsUser is { } user)
            settings["OsUser"] = user;
        // Every REST request at Information would bury the HA decisions in the log.
        return settings.Select(kv => $"--PgHa:Agent:{kv.Key}={kv.Value}").Append("--Logging:LogLevel:Microsoft.AspNetCore=Warning").ToList();
    }

    /// <summary>
    /// The leader, as the REST API's <c>/cluster</c> of any reachable node reports it, when it runs and both other
    /// members stream (and, in synchronous mode, one of them is recorded as the synchronous standby: until then a
    /// switchover is refused).
    /// </summary>
    public async Task<AgentNode?> HealthyLeaderAsync()
    {
        foreach (var node in Nodes.Where(n => n.AgentPid is not null))
        {
            var (code, body) = await node.GetAsync("/cluster");
            if (code != 200 || body?["members"] is not JsonArray members)
                continue;
            var leader = members.FirstOrDefault(m => (string?)m?["role"] == "leader" && (string?)m?["state"] == "running");
            if (leader is not null && members.Count(m => (string?)m?["state"] == "streaming") == Nodes.Count - 1
                && (!_synchronous || members.Any(m => (string?)m?["role"] == "sync_standby")))
                return Nodes.Single(n => n.Name == (string?)leader["name"]);
        }

        return null;
    }

    /// <summary>The current leader per any reachable node's <c>/cluster</c>, healthy or not.</summary>
    public async Task<AgentNode?> LeaderAsync()
    {
        foreach (var node in Nodes.Where(n => n.AgentPid is not null))
        {
            var (code, body) = await node.GetAsync("/cluster");
            if (code == 200 && body?["members"] is JsonArray members && members.FirstOrDefault(m => (string?)m?["role"] == "leader") is { } leader)
                return Nodes.Single(n => n.Name == (string?)leader["name"]);
        }

        return null;
    }

    /// <summary>Waits for a running leader with two streaming replicas (see <see cref="HealthyLeaderAsync"/>).</summary>
    /// <exception cref="TimeoutException">None within <paramref name="timeout"/>; the message has every node's view and log tail.</exception>
    public async Task<AgentNode> WaitForHealthyAsync(TimeSpan timeout, CancellationToken ct = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await HealthyLeaderAsync() is { } leader)
                return leader;
            await Task.Delay(200, ct);
        }

        var views = new List<string>();
        foreach (var node in Nodes.Where(n => n.AgentPid is not null))
            views.Add($"{node.Name} /cluster: {(await node.GetAsync("/cluster")).Body?.ToJsonString()}");
        throw new TimeoutException($"No healthy cluster after {timeout.TotalSeconds:0} s.\n{string.Join('\n', views)}\n{Logs()}");
    }

    /// <summary>Every agent's log tail.</summary>
    public string Logs() => string.Join("\n", Nodes.Select(n => n.LogTail(60)));

    /// <summary>Thaws what a fault froze, stops the agents and PostgreSQL, removes the directory, etcd and the network.</summary>
    public async ValueTask DisposeAsync()
    {
        Etcd.Members[0].Thaw();
        foreach (var node in Nodes)
        {
            node.ThawNode();
            node.DisposeProcess();
        }

        await _scratch.DisposeAsync();
        await Etcd.DisposeAsync();
        await Network.DisposeAsync();
    }
}
