using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using PgHa.Agent.Dcs;
using PgHa.Agent.Dcs.Etcd;
using PgHa.Testing;

namespace PgHa.Agent.Tests.Harness;

/// <summary>
/// A real etcd and three (or more) real pgha-agent processes, each running its own PostgreSQL, at default HA settings
/// unless a test overrides them. Everything is torn down on dispose (and by the harness reapers if the test host dies).
/// </summary>
public sealed class AgentCluster : IAsyncDisposable
{
    public const string Scope = "test";
    public const string Token = "test-token";
    private static readonly string AgentAssembly = typeof(PgHa.Agent.Hosting.AgentHost).Assembly.Location;
    private readonly EtcdClient _etcd;

    private AgentCluster(EtcdCluster etcdCluster, PgScratchDirectory scratch, IReadOnlyList<AgentNode> nodes)
    {
        (Etcd, Scratch, Nodes) = (etcdCluster, scratch, nodes);
        _etcd = new EtcdClient(new EtcdClientOptions { Endpoints = etcdCluster.Endpoints.Select(e => new Uri(e)).ToList(), RequestTimeout = TimeSpan.FromSeconds(1) }, NullLogger.Instance);
        Dcs = new EtcdDcs(_etcd, new DcsKeys("service", Scope), "test-observer", TimeSpan.FromSeconds(4), NullLogger<EtcdDcs>.Instance);
    }

    public EtcdCluster Etcd { get; }

    public PgScratchDirectory Scratch { get; }

    public IReadOnlyList<AgentNode> Nodes { get; }

    /// <summary>Reads the cluster's DCS state directly, as a test oracle.</summary>
    internal EtcdDcs Dcs { get; }

    public AgentNode this[string name] => Nodes.Single(n => n.Name == name);

    /// <summary>
    /// Starts etcd and the agents (n1, n2, ...); <paramref name="settings"/> adds <c>--PgHa:Agent:*</c> settings to every
    /// agent, and <paramref name="nodeSettings"/> (given a node's name) to one agent, after the shared ones.
    /// </summary>
    public static async Task<AgentCluster> StartAsync(int nodes = 3, IReadOnlyDictionary<string, string>? settings = null, bool startAgents = true, Func<string, IReadOnlyDictionary<string, string>?>? nodeSettings = null)
    {
        var etcd = await EtcdCluster.StartAsync();
        var scratch = await PgScratchDirectory.CreateAsync();
        var list = new List<AgentNode>();
        for (var i = 1; i <= nodes; i++)
        {
            var name = $"n{i}";
            list.Add(NewNode(name, etcd, scratch, Merge(settings, nodeSettings?.Invoke(name))));
        }

        var cluster = new AgentCluster(etcd, scratch, list);
        if (startAgents)
        {
            foreach (var node in list)
                node.Start();
        }

        return cluster;
    }

    /// <summary>
    /// A further agent on this cluster's etcd, not in <see cref="Nodes"/> and not started: a test starts it (for
    /// example with a live member's name, which must be refused) and disposes it itself.
    /// </summary>
    public AgentNode CreateExtraNode(string name, IReadOnlyDictionary<string, string>? settings = null, string? dataDirectoryName = null)
        => NewNode(name, Etcd, Scratch, settings, dataDirectoryName);

    private static AgentNode NewNode(string name, EtcdCluster etcd, PgScratchDirectory scratch, IReadOnlyDictionary<string, string>? settings, string? dataDirectoryName = null)
        => new(name, scratch.DataDirectoryFor(dataDirectoryName ?? name), LoopbackPorts.Next(), LoopbackPorts.Next(), AgentAssembly, node => Arguments(node, etcd, scratch, settings));

    private static Dictionary<string, string> Merge(IReadOnlyDictionary<string, string>? shared, IReadOnlyDictionary<string, string>? own)
    {
        var merged = new Dictionary<string, string>(shared ?? new Dictionary<string, string>());
        foreach (var (key, value) in own ?? new Dictionary<string, string>())
            merged[key] = value;
        return merged;
    }

    private static List<string> Arguments(AgentNode node, EtcdCluster etcd, PgScratchDirectory scratch, IReadOnlyDictionary<string, string>? settings)
    {
        var values = new Dictionary<string, string>
        {
            ["Name"] = node.Name,
            ["Scope"] = Scope,
            ["DataDirectory"] = node.DataDirectory,
            ["BinDirectory"] = scratch.BinDirectory,
            ["Listen"] = $"127.0.0.1:{node.PgPort.ToString(CultureInfo.InvariantCulture)}",
            ["RestListen"] = $"127.0.0.1:{node.RestPort.ToString(CultureInfo.InvariantCulture)}",
            ["RestToken"] = Token,
            ["EtcdEndpoints"] = string.Join(',', etcd.Endpoints),
        };
        if (scratch.OsUser is { } user)
            values["OsUser"] = user;
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
            values[key] = value;
        return values.Select(kv => $"--PgHa:Agent:{kv.Key}={kv.Value}").ToList();
    }

    /// <summary>Waits until <paramref name="condition"/> holds on the DCS state; fails with every agent's log tail otherwise.</summary>
    internal async Task<ClusterView> WaitForAsync(Func<ClusterView, bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        ClusterView? last = null;
        while (DateTime.UtcNow < deadline)
        {
            if (Nodes.FirstOrDefault(n => n.ExitedUnexpectedly) is { } dead)
                throw new InvalidOperationException($"The agent {dead.Name} exited while waiting for {what}.\n{Logs()}");
            try
            {
                last = await Dcs.LoadAsync(CancellationToken.None);
                if (condition(last))
                    return last;
            }
            catch (EtcdException)
            {
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"Timed out after {timeout.TotalSeconds} s waiting for {what}. Leader: {last?.Leader ?? "none"}.\n{Logs()}");
    }

    /// <summary>Waits for a leader whose server accepts writes, and for every other running agent's replica to stream from it.</summary>
    public async Task<AgentNode> WaitForHealthyAsync(TimeSpan? timeout = null, IReadOnlyCollection<AgentNode>? expectedReplicas = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(60);
        var replicas = expectedReplicas ?? Nodes.Where(n => n.AgentPid is not null).ToList();
        var view = await WaitForAsync(v => v.Leader is { } l && replicas.Where(r => r.Name != l).All(r =>
            v.Members.TryGetValue(r.Name, out var m) && m.Role == "replica" && m.ReplicationState == "streaming")
            && v.Members.TryGetValue(l, out var lm) && lm.Role == "primary", limit, "a leader with streaming replicas");
        return this[view.Leader!];
    }

    /// <summary>Runs <c>pgha-agent ctl &lt;arguments&gt;</c> against this cluster: exit code and output.</summary>
    public async Task<(int ExitCode, string Output)> CtlAsync(params string[] arguments)
    {
        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(AgentAssembly);
        start.ArgumentList.Add("ctl");
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        start.ArgumentList.Add($"--PgHa:Agent:Scope={Scope}");
        start.ArgumentList.Add($"--PgHa:Agent:EtcdEndpoints={string.Join(',', Etcd.Endpoints)}");
        start.ArgumentList.Add($"--PgHa:Agent:RestToken={Token}");
        using var process = System.Diagnostics.Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return (process.ExitCode, await output + await error);
    }

    /// <summary>Every agent's log tail.</summary>
    public string Logs() => string.Join("\n", Nodes.Select(n => n.LogTail()));

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes)
            node.DisposeProcess();
        _etcd.Dispose();
        await Scratch.DisposeAsync();
        await Etcd.DisposeAsync();
    }
}
