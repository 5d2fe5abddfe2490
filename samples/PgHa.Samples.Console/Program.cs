// PgHa demo: a throwaway 3-node cluster on loopback, an application writing and reading through
// PgHaDataSource, a primary killed with SIGKILL, a replica promoted, and what the application saw.
using System.Globalization;
using PgHa.Client;
using PgHa.Client.Topology;
using PgHa.Samples.ConsoleDemo;
using PgHa.Testing;

var timeline = new Timeline();
Console.WriteLine("PgHa demo: client-side failover on a throwaway local cluster (1 primary + 2 streaming replicas)\n");

timeline.Say("starting PostgreSQL: initdb + 2x pg_basebackup on loopback...");
await using var cluster = await PgCluster.StartAsync(new PgClusterOptions { Replicas = 2 });
var (node1, node2, node3) = (cluster.Nodes[0], cluster.Nodes[1], cluster.Nodes[2]);
string Name(int port) => cluster.Nodes.Single(n => n.Port == port).Name;
string NameOf(NodeDescription? node) => node is null ? "none" : Name(node.EndPoint.Port);
timeline.Say($"cluster up: {node1} (primary), {node2}, {node3}");
await node1.ExecuteAsync("CREATE TABLE demo(id int PRIMARY KEY, at timestamptz DEFAULT now())");
// Synchronous replication to both replicas: no acknowledged write can be lost by promoting either of them.
await node1.ExecuteAsync("ALTER SYSTEM SET synchronous_standby_names = 'ANY 2 (*)'");
await node1.ExecuteAsync("SELECT pg_reload_conf()");

var builder = new PgHaDataSourceBuilder(cluster.ConnectionString);
builder.Options.MaxReplicaLag = TimeSpan.FromSeconds(2);
await using var dataSource = builder.Build();
while (!dataSource.Topology.IsDiscoveryComplete || dataSource.Topology.Primary is null)
    await dataSource.WaitForTopologyChangeAsync(dataSource.Topology.Version, TimeSpan.FromSeconds(10));
timeline.Say($"discovered from SQL: {Describe(dataSource.Topology)}");
dataSource.TopologyChanged += (_, change) => timeline.Say($"  app sees [{change.Cause}]: {Describe(change.Current)}");

using var stop = new CancellationTokenSource();
var workload = new Workload(dataSource, timeline);
var running = workload.RunAsync(stop.Token);
await Task.Delay(1500);
timeline.Say($"steady state: writes on {Spread(workload.WritesByPort)}; reads on {Spread(workload.ReadsByPort)}");

timeline.Say($"SIGKILL {node1.Name} (the primary and all its processes)");
var killedAt = timeline.Now;
node1.Kill();
while (dataSource.Topology.Primary is not null)
    await dataSource.WaitForTopologyChangeAsync(dataSource.Topology.Version, TimeSpan.FromSeconds(5));
var detected = timeline.Now - killedAt;

await Task.Delay(1000); // an HA agent (Patroni, PgHa.Agent) would take a moment to elect and promote
timeline.Say($"promoting {node2.Name} (pg_ctl promote -w)");
var promoteStarted = timeline.Now;
var promoting = node2.PromoteAsync(wait: true);
while (dataSource.Topology.Primary?.EndPoint.Port != node2.Port)
    await dataSource.WaitForTopologyChangeAsync(dataSource.Topology.Version, TimeSpan.FromSeconds(5));
var routed = timeline.Now - promoteStarted;
await promoting;
var promotion = timeline.Now - promoteStarted;
timeline.Say($"pg_ctl promote returned; repointing {node3.Name} to {node2.Name}");
await node3.FollowAsync(node2);

await Task.Delay(2000);
await stop.CancelAsync();
await running;

Console.WriteLine();
Console.WriteLine("What the application saw");
Console.WriteLine(F($"  primary crash noticed after    {detected.TotalMilliseconds,8:0} ms (SIGKILL → topology says 'no primary')"));
Console.WriteLine(F($"  new primary routed to after    {routed.TotalMilliseconds,8:0} ms from the start of the promotion (pg_ctl promote -w took {promotion.TotalMilliseconds:0} ms)"));
Console.WriteLine(F($"  longest gap between writes     {workload.LongestWriteGap.TotalMilliseconds,8:0} ms (includes the 1 s before promotion)"));
var errorKinds = workload.Errors.IsEmpty ? "" : $" ({string.Join(", ", workload.Errors.Distinct())})";
Console.WriteLine(F($"  writes ok / failed             {workload.WritesOk,8} / {workload.Errors.Count}{errorKinds}"));
Console.WriteLine(F($"  acknowledged writes missing    {await MissingOnAsync(node2),8} (on {node2.Name}, the new primary)"));
Console.WriteLine(F($"  reads ok                       {workload.ReadsOk,8} on {Spread(workload.ReadsByPort)}"));
Console.WriteLine(F($"  reads missing the user's write {workload.ReadsMissingOwnWrite,8} (read-your-writes through a PgHaSession)"));
Console.WriteLine($"  writes landed on               {Spread(workload.WritesByPort)}");
Console.WriteLine($"  final topology                 {dataSource.Topology}");
Console.WriteLine("\nWrites go through session.ExecuteWriteAsync: those caught by the crash waited for the new primary and ran there,");
Console.WriteLine("and a COMMIT cut off in flight was looked up there instead of being run twice.");
Console.WriteLine("Reads go through session.ExecuteReadAsync: on replicas that have the session's writes, run again elsewhere if their node fails.");
Console.WriteLine("Cleaning up the cluster...");
return 0;

async Task<int> MissingOnAsync(PgHa.Testing.PgNode node)
{
    var present = new HashSet<int>();
    await using var connection = new Npgsql.NpgsqlConnection(node.ConnectionString);
    await connection.OpenAsync();
    await using var read = new Npgsql.NpgsqlCommand("SELECT id FROM demo", connection);
    await using var reader = await read.ExecuteReaderAsync();
    while (await reader.ReadAsync())
        present.Add(reader.GetInt32(0));
    return workload.Acknowledged.Count(id => !present.Contains(id));
}

string Describe(ClusterTopology topology) => $"primary {NameOf(topology.Primary)}; " + string.Join(", ", topology.Nodes.Select(n =>
    $"{Name(n.EndPoint.Port)} {n.Role.ToString().ToLowerInvariant()}/{n.Health.ToString().ToLowerInvariant()}{(n.Timeline is { } tl ? $" TL{tl}" : "")}{(n.IsFenced ? " FENCED" : "")}"));
string Spread(IDictionary<int, int> byPort) => string.Join(", ", byPort.OrderBy(p => p.Key).Select(p => $"{Name(p.Key)} ×{p.Value}"));
static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
