using PgHa.Agent.Configuration;
using PgHa.Agent.Dcs;
using PgHa.Agent.Ha;
using Xunit;

namespace PgHa.Agent.Tests;

/// <summary>What a replica makes of its peers' <c>/patroni</c> answers before it races for a missing leader key (node2 is local, at position 100 on timeline 2).</summary>
public sealed class PeerCheckTests
{
    [Fact]
    public void A_member_running_as_primary_stops_the_race_even_if_it_never_fails_over()
    {
        var view = View(("node1", 0));
        Assert.Contains("still running as the primary", PeerCheck.Refusal(view, Options(), 100, 2, [new("node1", "primary", "running", 2, 50)]));
        Assert.Contains("still running as the primary", PeerCheck.Refusal(view, Options(), 100, 2, [new("node1", "master", "running", 2, 50)]));
        Assert.Null(PeerCheck.Refusal(view, Options(), 100, 2, [new("node1", "primary", "stopped", 2, 50)]));
    }

    [Fact]
    public void A_replica_strictly_ahead_or_on_a_newer_timeline_stops_the_race()
    {
        var view = View(("node3", 1));
        Assert.Contains("WAL beyond ours", PeerCheck.Refusal(view, Options(), 100, 2, [new("node3", "replica", "running", 2, 101)]));
        Assert.Contains("newer timeline", PeerCheck.Refusal(view, Options(), 100, 2, [new("node3", "replica", "running", 3, 10)]));
        Assert.Null(PeerCheck.Refusal(view, Options(), 100, 2, [new("node3", "replica", "running", 2, 100)]));
        Assert.Null(PeerCheck.Refusal(view, Options(), 100, 2, [new("node3", "replica", "running", 1, 500)]));
    }

    [Fact]
    public void A_replica_ahead_that_never_fails_over_does_not_stop_the_race_nor_does_one_in_synchronous_mode()
    {
        Assert.Null(PeerCheck.Refusal(View(("node3", 0)), Options(), 100, 2, [new("node3", "replica", "running", 2, 500)]));
        var synchronous = Options();
        synchronous.SynchronousMode = true;
        Assert.Null(PeerCheck.Refusal(View(("node1", 1)), synchronous, 100, 2, [new("node1", "replica", "running", 2, 500)]));
    }

    [Fact]
    public void Status_documents_parse_as_the_agent_and_Patroni_write_them()
    {
        var primary = PeerCheck.Parse("node1", """{"state":"running","role":"primary","xlog":{"location":1234},"timeline":3}""");
        Assert.Equal(new PeerCheck.PeerStatus("node1", "primary", "running", 3, 1234), primary);
        var replica = PeerCheck.Parse("node3", """{"state":"running","role":"replica","xlog":{"received_location":900,"replayed_location":800,"paused":false},"timeline":2}""");
        Assert.Equal(new PeerCheck.PeerStatus("node3", "replica", "running", 2, 900), replica);
        Assert.Null(PeerCheck.Parse("node3", "not json"));
        Assert.Null(PeerCheck.Parse("node3", "[1]"));
    }

    private static ClusterView View((string Name, int Priority) peer) => new(1, null, 0, "7301", new Dictionary<string, MemberStatus>
    {
        ["node2"] = Member(1),
        [peer.Name] = Member(peer.Priority),
    }, null, null, 100);

    private static AgentOptions Options() => new() { Name = "node2", Scope = "test", DataDirectory = "/x", EtcdEndpoints = ["http://127.0.0.1:2379"] };

    private static MemberStatus Member(int priority) => new()
    {
        ConnUrl = "postgres://127.0.0.1:5432/postgres",
        ApiUrl = "http://127.0.0.1:8008/patroni",
        Role = "replica",
        State = "running",
        Tags = new Dictionary<string, object> { ["failover_priority"] = priority },
    };
}
