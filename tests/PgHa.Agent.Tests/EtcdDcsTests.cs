using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using PgHa.Agent.Dcs;
using PgHa.Agent.Dcs.Etcd;
using PgHa.Testing;
using Xunit;

namespace PgHa.Agent.Tests;

/// <summary>Two or three members' DCS sessions against one real etcd: the leader race, renewal, lease loss, bootstrap race.</summary>
public sealed class EtcdDcsTests : IAsyncLifetime
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(2);
    private readonly List<EtcdClient> _clients = [];
    private EtcdCluster _etcd = null!;

    public async Task InitializeAsync() => _etcd = await EtcdCluster.StartAsync();

    public async Task DisposeAsync()
    {
        foreach (var client in _clients)
            client.Dispose();
        await _etcd.DisposeAsync();
    }

    [Fact]
    public async Task Exactly_one_member_wins_the_leader_race_and_the_others_see_it()
    {
        var members = Enumerable.Range(1, 3).Select(i => Member($"node{i}")).ToArray();

        var won = await Task.WhenAll(members.Select(m => m.TryAcquireLeaderAsync(default)));

        Assert.Single(won, w => w);
        var winner = members[Array.IndexOf(won, true)];
        var view = await members[0].LoadAsync(default);
        Assert.Equal(winner.MemberName, view.Leader);
        Assert.True(await winner.RenewLeaderAsync(default));
        Assert.All(members.Where(m => m != winner), m => Assert.False(m.RenewLeaderAsync(default).GetAwaiter().GetResult()));
    }

    [Fact]
    public async Task A_leader_that_stops_renewing_loses_the_key_when_its_lease_runs_out_and_cannot_renew_afterwards()
    {
        var node1 = Member("node1");
        var node2 = Member("node2");
        await node1.TouchMemberAsync(Status("primary"), default);
        Assert.True(await node1.TryAcquireLeaderAsync(default));
        var deadline = node1.LeaseDeadline; // from the send time of its last renewal: the lease cannot run out earlier

        while ((await node2.LoadAsync(default)).Leader is not null)
        {
            Assert.True(Stopwatch.GetElapsedTime(deadline) < TimeSpan.FromSeconds(10), "the leader key outlived the lease");
            await Task.Delay(100);
        }

        Assert.True(Stopwatch.GetTimestamp() >= deadline, $"the leader key went {Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline).TotalMilliseconds:0} ms before its lease could run out");
        Assert.Empty((await node2.LoadAsync(default)).Members); // the member key went with the session
        Assert.False(await node1.RenewLeaderAsync(default));
        Assert.True(await node2.TryAcquireLeaderAsync(default));
    }

    [Fact]
    public async Task A_restarted_leader_agent_moves_its_living_key_to_its_new_session_and_others_still_cannot()
    {
        var before = Member("node1");
        Assert.True(await before.TryAcquireLeaderAsync(default));

        var after = Member("node1"); // the same member after an agent restart: no lease of its own yet
        Assert.True(await after.RenewLeaderAsync(default));
        await before.CloseSessionAsync(default); // the old session's lease goes; the key now hangs on the new one
        Assert.Equal("node1", (await after.LoadAsync(default)).Leader);
        Assert.True(await after.RenewLeaderAsync(default));
        Assert.False(await Member("node2").RenewLeaderAsync(default));
    }

    [Fact]
    public async Task Touching_the_member_key_keeps_the_session_and_leadership_alive()
    {
        var node1 = Member("node1");
        Assert.True(await node1.TryAcquireLeaderAsync(default));

        // Touched often, so that a stalled machine still renews well within the TTL, and for twice the TTL, so that
        // only the touches can have kept the session.
        var acquired = Stopwatch.StartNew();
        while (acquired.Elapsed < 2 * Ttl)
        {
            await Task.Delay(200);
            await node1.TouchMemberAsync(Status("primary"), default);
            Assert.True(await node1.RenewLeaderAsync(default));
        }

        var view = await Member("node2").LoadAsync(default);
        Assert.Equal("node1", view.Leader);
        Assert.Equal("primary", view.Members["node1"].Role);
        Assert.Equal("postgres://127.0.0.1:5432/postgres", view.Members["node1"].ConnUrl);
    }

    [Fact]
    public async Task Releasing_or_closing_the_session_frees_the_key_at_once_for_the_next_leader()
    {
        var node1 = Member("node1");
        var node2 = Member("node2");
        Assert.True(await node1.TryAcquireLeaderAsync(default));
        Assert.False(await node2.ReleaseLeaderAsync(default)); // not node2's to release
        Assert.True(await node1.ReleaseLeaderAsync(default));
        Assert.True(await node2.TryAcquireLeaderAsync(default));

        await node2.CloseSessionAsync(default);
        Assert.True(await node1.TryAcquireLeaderAsync(default));
    }

    [Fact]
    public async Task One_member_wins_the_bootstrap_race_and_can_hand_it_back_if_initdb_fails()
    {
        var node1 = Member("node1");
        var node2 = Member("node2");

        Assert.True(await node1.TryClaimInitializationAsync(default));
        Assert.False(await node2.TryClaimInitializationAsync(default));
        Assert.True(await node1.CancelInitializationAsync(default));
        Assert.True(await node2.TryClaimInitializationAsync(default));
        await node2.CompleteInitializationAsync(7_300_000_000_000_000_001, default);

        Assert.Equal("7300000000000000001", (await node1.LoadAsync(default)).Initialize);
        Assert.False(await node1.CancelInitializationAsync(default)); // a finished bootstrap is not undone
    }

    [Fact]
    public async Task A_watch_wakes_a_replica_when_the_leader_key_goes()
    {
        var node1 = Member("node1");
        var node2 = Member("node2");
        Assert.True(await node1.TryAcquireLeaderAsync(default));
        var view = await node2.LoadAsync(default);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var gone = Task.Run(async () =>
        {
            await foreach (var e in node2.WatchAsync(view.Revision + 1, stop.Token))
            {
                if (e.IsDelete && e.Key == node2.Keys.Leader)
                    return;
            }
        });

        await node1.CloseSessionAsync(default);

        await gone.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void Keys_follow_patronis_layout()
    {
        var keys = new DcsKeys("service", "batman");
        Assert.Equal("/service/batman/leader", keys.Leader);
        Assert.Equal("/service/batman/members/node1", keys.Member("node1"));
        Assert.Equal("/batman/initialize", new DcsKeys("/", "batman").Initialize);
    }

    private EtcdDcs Member(string name)
    {
        var client = new EtcdClient(new EtcdClientOptions { Endpoints = [new Uri(_etcd.Members[0].ClientUrl)] }, NullLogger.Instance);
        _clients.Add(client);
        return new EtcdDcs(client, new DcsKeys("service", "test"), name, Ttl, NullLogger.Instance);
    }

    private static MemberStatus Status(string role) => new()
    {
        ConnUrl = "postgres://127.0.0.1:5432/postgres",
        ApiUrl = "http://127.0.0.1:8008/patroni",
        State = "running",
        Role = role,
    };
}
