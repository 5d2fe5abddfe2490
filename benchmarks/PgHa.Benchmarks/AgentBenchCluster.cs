using System.Text.Json.Nodes;
using PgHa.Testing;

namespace PgHa.Benchmarks;

/// <summary>etcd and three pgha-agent processes at their default settings, as the README's local set-up runs them.</summary>
internal sealed class AgentBenchCluster : IAsyncDisposable
{
    private readonly EtcdCluster _etcd;
    private readonly PgScratchDirectory _scratch;

    private AgentBenchCluster(EtcdCluster etcd, PgScratchDirectory scratch, List<AgentNode> nodes) => (_etcd, _scratch, Nodes) = (etcd, scratch, nodes);

    public IReadOnlyList<AgentNode> Nodes { get; }

    public static async Task<AgentBenchCluster> StartAsync(string token)
    {
        var etcd = await EtcdCluster.StartAsync();
        var scratch = await PgScratchDirectory.CreateAsync();
        var agent = Path.Combine(AppContext.BaseDirectory, "pgha-agent.dll");
        var nodes = new List<AgentNode>();
        for (var i = 1; i <= 3; i++)
        {
            var name = $"n{i}";
            nodes.Add(new AgentNode(name, scratch.DataDirectoryFor(name), LoopbackPorts.Next(), LoopbackPorts.Next(), agent, node =>
            [
                $"--PgHa:Agent:Name={node.Name}", "--PgHa:Agent:Scope=bench", $"--PgHa:Agent:DataDirectory={node.DataDirectory}",
                $"--PgHa:Agent:BinDirectory={scratch.BinDirectory}", $"--PgHa:Agent:Listen=127.0.0.1:{node.PgPort}",
                $"--PgHa:Agent:RestListen=127.0.0.1:{node.RestPort}", $"--PgHa:Agent:RestToken={token}",
                $"--PgHa:Agent:EtcdEndpoints={string.Join(',', etcd.Endpoints)}", $"--PgHa:Agent:OsUser={scratch.OsUser ?? Environment.UserName}",
            ]));
        }

        foreach (var node in nodes)
            node.Start();
        return new AgentBenchCluster(etcd, scratch, nodes);
    }

    /// <summary>Waits (through the REST API's /cluster) for a leader and two streaming replicas.</summary>
    public async Task<AgentNode> WaitForHealthyAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            foreach (var node in Nodes.Where(n => n.AgentPid is not null))
            {
                var (code, body) = await node.GetAsync("/cluster");
                if (code != 200 || body?["members"] is not JsonArray members)
                    continue;
                var leader = members.FirstOrDefault(m => (string?)m?["role"] == "leader" && (string?)m?["state"] == "running");
                if (leader is not null && members.Count(m => (string?)m?["state"] == "streaming") == Nodes.Count - 1)
                    return Nodes.Single(n => n.Name == (string?)leader["name"]);
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("The agents did not form a healthy cluster.\n" + string.Join("\n", Nodes.Select(n => n.LogTail())));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes)
            node.DisposeProcess();
        await _scratch.DisposeAsync();
        await _etcd.DisposeAsync();
    }
}
