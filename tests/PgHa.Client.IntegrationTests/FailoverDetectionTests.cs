using System.Collections.Concurrent;
using System.Diagnostics;
using Npgsql;
using PgHa.Client.Topology;
using Xunit;
using static PgHa.Client.IntegrationTests.ClusterHelpers;

namespace PgHa.Client.IntegrationTests;

public sealed class FailoverDetectionTests : ClusterTestBase
{
    // Tests of event-driven detection set the regular probe interval far beyond the test, so that a change seen
    // within EventDriven cannot have been found by a regular probe; EventDriven itself is slack for a loaded machine.
    private static readonly TimeSpan SlowProbes = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan EventDriven = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Sigkill_of_the_primary_is_seen_without_waiting_for_a_probe()
    {
        var ds = DataSource(o => o.ProbeInterval = SlowProbes);
        await WaitForDiscoveryAsync(ds);

        var clock = Stopwatch.StartNew();
        Node1.Kill();
        var seen = await WaitForTopologyAsync(ds, t => NodeOf(t, Node1).Health == NodeHealth.Down, TimeSpan.FromSeconds(30));

        Assert.True(clock.Elapsed < EventDriven, $"took {clock.Elapsed.TotalMilliseconds:0} ms");
        Assert.Null(seen.Primary);
    }

    [Fact]
    public async Task Fast_shutdown_of_the_primary_is_seen_without_waiting_for_a_probe()
    {
        var ds = DataSource(o => o.ProbeInterval = SlowProbes);
        await WaitForDiscoveryAsync(ds);

        var clock = Stopwatch.StartNew();
        var stopping = Node1.StopAsync(Testing.PgStopMode.Fast);
        var seen = await WaitForTopologyAsync(ds, t => NodeOf(t, Node1).Health == NodeHealth.Down, TimeSpan.FromSeconds(30));
        var detected = clock.Elapsed;
        await stopping;

        Assert.True(detected < EventDriven, $"took {detected.TotalMilliseconds:0} ms");
        Assert.Null(seen.Primary);
    }

    [Fact]
    public async Task Promoted_replica_is_routed_to_without_waiting_for_a_regular_probe()
    {
        var ds = DataSource(o => o.ProbeInterval = SlowProbes);
        await WaitForDiscoveryAsync(ds);
        Node1.Kill();
        await WaitForTopologyAsync(ds, t => t.Primary is null);

        await Node2.PromoteAsync(wait: true);
        var writable = Stopwatch.StartNew();
        var routed = await WaitForTopologyAsync(ds, t => t.Primary?.EndPoint.Port == Node2.Port, TimeSpan.FromSeconds(30));
        var took = writable.Elapsed;

        // Seen through the failover pace (FailoverProbeInterval) or the in_hot_standby report, not the regular interval.
        Assert.True(took < EventDriven, $"took {took.TotalMilliseconds:0} ms");
        Assert.Equal(2, routed.Primary!.Timeline);
        Assert.Equal(Node2.Port, await OpenAndGetPortAsync(ds, TargetRole.Primary));
    }

    [Fact]
    public async Task Writes_waiting_during_a_failover_go_to_the_new_primary()
    {
        var ds = DataSource(o => o.NodeWaitTimeout = TimeSpan.FromSeconds(20));
        await WaitForDiscoveryAsync(ds);
        Node1.Kill();
        await WaitForTopologyAsync(ds, t => t.Primary is null);

        var waiting = OpenAndGetPortAsync(ds, TargetRole.Primary);
        await Task.Delay(500);
        Assert.False(waiting.IsCompleted);
        await Node2.PromoteAsync();

        Assert.Equal(Node2.Port, await waiting.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Frozen_replica_is_marked_down_once_its_probes_time_out_and_requests_never_wait_on_it()
    {
        var ds = DataSource();
        await WaitForDiscoveryAsync(ds);

        var clock = Stopwatch.StartNew();
        Node3.Freeze();
        await WaitForTopologyAsync(ds, t => NodeOf(t, Node3).Health == NodeHealth.Down, TimeSpan.FromSeconds(10));
        var detected = clock.Elapsed;
        // Worst case by design: one probe interval + two probe timeouts = 3 s at the defaults; the rest is slack for a loaded machine.
        Assert.True(detected < TimeSpan.FromSeconds(4.5), $"took {detected.TotalMilliseconds:0} ms");

        var slowest = TimeSpan.Zero;
        for (var i = 0; i < 30; i++)
        {
            var one = Stopwatch.StartNew();
            Assert.Equal(Node2.Port, await OpenAndGetPortAsync(ds, TargetRole.Replica));
            slowest = one.Elapsed > slowest ? one.Elapsed : slowest;
        }

        // A read sent to the frozen node would hang until Npgsql's 15 s connect Timeout before being routed elsewhere.
        Assert.True(slowest < TimeSpan.FromSeconds(5), $"slowest routed read took {slowest.TotalMilliseconds:0} ms");
        Node3.Thaw();
        await WaitForTopologyAsync(ds, t => NodeOf(t, Node3).Health == NodeHealth.Up);
    }

    [Fact]
    public async Task Writes_reach_a_replica_promoted_while_the_primary_is_frozen_and_never_wait_on_the_frozen_node()
    {
        var ds = DataSource();
        await WaitForDiscoveryAsync(ds);
        await ds.EnsureCommitMarkerTableAsync();
        await Node1.ExecuteAsync("CREATE TABLE ids(id int PRIMARY KEY)");
        await Node2.WaitForReplayAsync(Node1, TimeSpan.FromSeconds(10));
        await using var writers = Writers.Start(ds, count: 4);
        await writers.WaitForAcknowledgedAsync(20); // from here on each writer has a unit in flight on node1

        Node1.Freeze();
        await Node2.PromoteAsync();
        var atPromotion = writers.PerWriter();

        // Every writer, the ones caught mid-unit on node1 included, commits on node2 while node1 stays frozen.
        await writers.WaitForEveryWriterAsync(atPromotion, TimeSpan.FromSeconds(15));
        var afterPromotion = writers.Acknowledged.Skip(atPromotion.Sum()).ToList();
        await writers.StopAsync();
        Assert.True(Node1.IsRunning);
        Assert.Empty(writers.Errors);
        var onNode2 = (await ReadIdsAsync(Node2)).ToHashSet();
        Assert.All(afterPromotion, id => Assert.Contains(id, onNode2));
        var topology = ds.Topology;
        Assert.True(NodeOf(topology, Node1).IsFenced || NodeOf(topology, Node1).Health == NodeHealth.Down, topology.ToString());
    }

    [Fact]
    public async Task Topology_changes_are_raised_off_the_probing_path()
    {
        var ds = DataSource();
        await WaitForDiscoveryAsync(ds);
        var changes = new ConcurrentQueue<TopologyChangedEventArgs>();
        ds.TopologyChanged += (_, e) =>
        {
            changes.Enqueue(e);
            Thread.Sleep(2000); // a slow subscriber must not hold up the watchdog
        };

        Node1.Kill();
        var clock = Stopwatch.StartNew();
        await WaitForTopologyAsync(ds, t => t.Primary is null);
        await Node2.PromoteAsync();
        await WaitForTopologyAsync(ds, t => t.Primary?.EndPoint.Port == Node2.Port);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4), $"watchdog held up: {clock.Elapsed}");

        await WaitForConditionAsync(() => changes.Any(c => c.Current.Primary?.EndPoint.Port == Node2.Port), TimeSpan.FromSeconds(15));
        var lost = changes.First(c => c.Current.Primary is null);
        Assert.Equal(Node1.Port, lost.Previous.Primary!.EndPoint.Port);
        // Normally the idle monitoring connection sees the EOF ("connection-lost"); if the kill lands while a probe is
        // in flight, that probe fails instead ("probe").
        Assert.True(lost.Cause.StartsWith("connection-lost", StringComparison.Ordinal) || lost.Cause == "probe", lost.Cause);
    }

    private static async Task WaitForConditionAsync(Func<bool> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < timeout, "condition not met in time");
            await Task.Delay(50);
        }
    }
}
