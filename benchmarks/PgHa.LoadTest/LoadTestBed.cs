using System.Runtime.CompilerServices;
using Npgsql;
using PgHa.Client;
using PgHa.Testing;

namespace PgHa.LoadTest;

/// <summary>
/// The cluster, the proxies in front of it and one client-side data source per system, all owned here and torn down
/// together (also when start-up fails half-way, or on Ctrl+C).
/// </summary>
internal sealed class LoadTestBed : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _owned = [];
    private PgHaDataSource? _pgha;

    private LoadTestBed()
    {
    }

    public PgCluster Cluster { get; private set; } = null!;

    public IReadOnlyList<PgNode> Nodes => Cluster.Nodes;

    public int[] Ports => Cluster.Nodes.Select(n => n.Port).ToArray();

    public List<LoadTarget> Targets { get; } = [];

    public ProxyProcess? HaProxy { get; private set; }

    public ProxyProcess? PgPool { get; private set; }

    public string PostgresVersion { get; private set; } = "";

    public static async Task<LoadTestBed> StartAsync(LoadTestOptions options, Action<string> progress, CancellationToken ct)
    {
        var bed = new LoadTestBed();
        try
        {
            await bed.StartCoreAsync(options, progress, ct);
            return bed;
        }
        catch
        {
            await bed.DisposeAsync();
            throw;
        }
    }

    private async Task StartCoreAsync(LoadTestOptions options, Action<string> progress, CancellationToken ct)
    {
        var haproxy = options.Systems.Contains(SystemKind.HaProxy) ? Prerequisites.Find("haproxy", SystemKind.HaProxy) : null;
        var pgpool = options.Systems.Contains(SystemKind.PgPool) ? Prerequisites.Find("pgpool", SystemKind.PgPool) : null;

        progress("starting PostgreSQL: 1 primary + 2 streaming replicas on loopback");
        var clusterOptions = new PgClusterOptions { Replicas = 2 };
        // Every system keeps its own warm pool (up to the largest client count per node), plus pgpool's children.
        clusterOptions.Settings["max_connections"] = "400";
        Cluster = await PgCluster.StartAsync(clusterOptions, ct);
        _owned.Add(Cluster);
        var primary = Cluster.Nodes[0];
        var replicas = Cluster.Nodes.Skip(1).ToArray();
        PostgresVersion = await primary.ExecuteScalarAsync<string>("SHOW server_version", ct) ?? "?";

        progress($"filling loadtest_accounts with {options.Rows} rows");
        await primary.ExecuteAsync(
            "CREATE TABLE loadtest_accounts (aid int PRIMARY KEY, abalance int NOT NULL, filler char(84) NOT NULL);" +
            $"INSERT INTO loadtest_accounts SELECT g, 0, '' FROM generate_series(1, {options.Rows}) g", ct);
        await primary.ExecuteAsync("VACUUM ANALYZE loadtest_accounts", ct);
        foreach (var replica in replicas)
            await replica.WaitForReplayAsync(primary, TimeSpan.FromSeconds(60), ct);

        var rawPrimary = Own(NpgsqlDataSource.Create(primary.ConnectionString));
        foreach (var kind in options.Systems)
        {
            switch (kind)
            {
                case SystemKind.Raw:
                    Targets.Add(new(kind, () => rawPrimary.OpenConnectionAsync(), () => rawPrimary.OpenConnectionAsync()));
                    break;
                case SystemKind.RawReplicas:
                    var rawReplicas = replicas.Select(r => Own(NpgsqlDataSource.Create(r.ConnectionString))).ToArray();
                    var turn = new StrongBox<int>();
                    Targets.Add(new(
                        kind,
                        () => rawReplicas[(int)((uint)Interlocked.Increment(ref turn.Value) % (uint)rawReplicas.Length)].OpenConnectionAsync(),
                        () => rawPrimary.OpenConnectionAsync()));
                    break;
                case SystemKind.PgHa or SystemKind.PgHaPrimary:
                    var pgha = await PgHaAsync(ct);
                    var readRole = kind == SystemKind.PgHa ? TargetRole.Replica : TargetRole.Primary;
                    Targets.Add(new(kind, () => pgha.OpenConnectionAsync(readRole), () => pgha.OpenConnectionAsync(TargetRole.Primary)));
                    break;
                case SystemKind.HaProxy:
                    progress("starting HAProxy");
                    var (readPort, writePort) = (LoopbackPorts.Next(), LoopbackPorts.Next());
                    HaProxy = await HaProxyLauncher.StartAsync(haproxy!, primary, replicas, readPort, writePort, ct);
                    _owned.Add(HaProxy);
                    var haRead = Own(NpgsqlDataSource.Create(Through(primary, readPort)));
                    var haWrite = Own(NpgsqlDataSource.Create(Through(primary, writePort)));
                    Targets.Add(new(kind, () => haRead.OpenConnectionAsync(), () => haWrite.OpenConnectionAsync()));
                    break;
                case SystemKind.PgPool:
                    progress("starting pgpool-II");
                    var poolPort = LoopbackPorts.Next();
                    PgPool = await PgPoolLauncher.StartAsync(pgpool!, Cluster.Nodes, poolPort, LoopbackPorts.Next(), options.MaxClients + 8, ct);
                    _owned.Add(PgPool);
                    await PoolNode.WaitUntilReadyAsync(poolPort, Cluster.Nodes.Count, ct);
                    var pool = Own(NpgsqlDataSource.Create(Through(primary, poolPort)));
                    Targets.Add(new(kind, () => pool.OpenConnectionAsync(), () => pool.OpenConnectionAsync()));
                    break;
                case SystemKind.MultiHost:
                    var multi = new NpgsqlDataSourceBuilder(Cluster.ConnectionString + ";Load Balance Hosts=true").BuildMultiHost();
                    Own(multi);
                    var standby = multi.WithTargetSession(TargetSessionAttributes.PreferStandby);
                    var writable = multi.WithTargetSession(TargetSessionAttributes.Primary);
                    Targets.Add(new(kind, () => standby.OpenConnectionAsync(), () => writable.OpenConnectionAsync()));
                    break;
            }
        }
    }



    private async Task<PgHaDataSource> PgHaAsync(CancellationToken ct)
    {
        if (_pgha is not null)
            return _pgha;
        _pgha = Own(new PgHaDataSourceBuilder(Cluster.ConnectionString).Build());
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (_pgha.Topology.Primary is null || _pgha.Topology.Nodes.Skip(1).Any(n => n.ReplicaLag is null))
        {
            if (DateTime.UtcNow > deadline)
                throw new InvalidOperationException($"PgHa did not discover the primary and both replicas in 30 s: {_pgha.Topology}");
            await _pgha.WaitForTopologyChangeAsync(_pgha.Topology.Version, TimeSpan.FromSeconds(5), ct);
        }

        return _pgha;
    }

    private static string Through(PgNode node, int port) =>
        new NpgsqlConnectionStringBuilder(node.ConnectionString) { Host = "127.0.0.1", Port = port }.ConnectionString;

    private T Own<T>(T resource)
        where T : IAsyncDisposable
    {
        _owned.Add(resource);
        return resource;
    }

    public async ValueTask DisposeAsync()
    {
        // Clients first, then proxies, then the cluster: the reverse of start-up.
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            try
            {
                await _owned[i].DisposeAsync();
            }
            catch (Exception e)
            {
                Console.Error.WriteLine($"teardown: {e.GetType().Name}: {e.Message}");
            }
        }

        _owned.Clear();
    }
}
