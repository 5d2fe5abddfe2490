using PgHa.Agent.Configuration;
using PgHa.Agent.Dcs;
using PgHa.Agent.Ha;
using Xunit;

namespace PgHa.Agent.Tests;

/// <summary>The HA decision, case by case. Members are "name:role:position[:tag=value...]"; the local node is node2.</summary>
public sealed class HaDeciderTests
{
    public static TheoryData<string, string?, string?, long?, string, string, string> Cases => new()
    {
        // description, leader, initialize, leader optime, members, local, expected
        { "fresh cluster: race to bootstrap", null, null, null, "", "NotInitialized", "Bootstrap" },
        { "cluster exists: clone the leader", "node1", "7301", null, "node1:primary:100", "NotInitialized", "CloneFromLeader" },
        { "someone is bootstrapping: wait", null, "", null, "", "NotInitialized", "None" },
        { "leader renews", "node2", "7301", null, "", "RunningPrimary:100:1", "RenewLeadership" },
        { "primary whose key another holds demotes", "node1", "7301", null, "node1:primary:100", "RunningPrimary:90:1", "DemoteAndFollow" },
        { "primary with no leader takes the key back", null, "7301", null, "", "RunningPrimary:100:1", "AcquireLeadership" },
        { "replica holding the key promotes", "node2", "7301", null, "", "RunningReplica:100:1", "Promote" },
        { "replica following the leader: nothing", "node1", "7301", null, "node1:primary:100", "RunningReplica:100:1:node1", "None" },
        { "replica following someone else repoints", "node3", "7301", null, "node3:primary:100", "RunningReplica:100:1:node1", "Follow" },
        { "leader whose postmaster died restarts in place", "node2", "7301", null, "", "Unreachable", "RestartInPlace" },
        { "stopped node with a leader starts as replica", "node1", "7301", null, "node1:primary:100", "Stopped", "StartAsReplica" },
        { "stopped node with no leader starts read-only (then races as a replica)", null, "7301", 100L, "", "Stopped", "StartReadOnly" },
        { "starting node with no leader waits for it", null, "7301", 100L, "", "Unreachable", "None" },
        { "leader that lost its data gives the key up", "node2", "7301", null, "", "NotInitialized", "ReleaseLeadership" },
        { "most advanced replica races", null, "7301", 100L, "node3:replica:90", "RunningReplica:100:1", "AcquireLeadership" },
        { "a more advanced peer races instead", null, "7301", 100L, "node3:replica:100", "RunningReplica:95:1", "None" },
        { "equal position: lower name wins the tie", null, "7301", 100L, "node1:replica:100", "RunningReplica:100:1", "None" },
        { "equal position: a higher-priority peer wins the tie", null, "7301", 100L, "node3:replica:100:failover_priority=2", "RunningReplica:100:1", "None" },
        { "equal position and priority: this member's lower name wins", null, "7301", 100L, "node3:replica:100", "RunningReplica:100:1", "AcquireLeadership" },
        { "a nofailover peer is no competition", null, "7301", 100L, "node3:replica:200:nofailover=true", "RunningReplica:100:1", "AcquireLeadership" },
        { "too far behind the last leader position: not a candidate", null, "7301", 5_000_000L, "", "RunningReplica:100:1", "None" },
        { "a more advanced peer with priority 0 is no competition", null, "7301", 100L, "node3:replica:200:failover_priority=0", "RunningReplica:100:1", "AcquireLeadership" },
        { "a stopped peer is no competition", null, "7301", 100L, "node3:replica:200:state=stopped", "RunningReplica:100:1", "AcquireLeadership" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Decides(string description, string? leader, string? initialize, long? optime, string members, string local, string expected)
    {
        var view = new ClusterView(1, leader, 0, initialize, Parse(members), null, null, optime);

        var action = HaDecider.Decide(view, Local(local), Options(), DateTimeOffset.UtcNow);

        Assert.True(expected == action.Kind.ToString(), $"{description}: expected {expected}, got {action.Kind} ({action.Reason})");
    }

    /// <summary>"Status[:position[:timeline[:upstream]]]".</summary>
    private static LocalPostgres Local(string spec)
    {
        var parts = spec.Split(':');
        return new LocalPostgres(
            Enum.Parse<LocalPostgresStatus>(parts[0]),
            parts.Length > 1 ? long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) : 0,
            parts.Length > 2 ? int.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture) : 0,
            parts.Length > 3 ? parts[3] : null);
    }

    [Fact]
    public void A_member_tagged_nofailover_never_races()
    {
        var options = Options();
        options.NoFailover = true;
        var view = new ClusterView(1, null, 0, "7301", new Dictionary<string, MemberStatus>(), null, null, 100);

        Assert.Equal(HaActionKind.None, HaDecider.Decide(view, new(LocalPostgresStatus.RunningReplica, 100, 1), options, DateTimeOffset.UtcNow).Kind);
    }

    private static AgentOptions Options() => new() { Name = "node2", Scope = "test", DataDirectory = "/x", EtcdEndpoints = ["http://127.0.0.1:2379"] };

    private static Dictionary<string, MemberStatus> Parse(string members)
    {
        var result = new Dictionary<string, MemberStatus>();
        foreach (var member in members.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = member.Split(':');
            var tags = new Dictionary<string, object>();
            var state = "running";
            foreach (var extra in parts.Skip(3))
            {
                var (key, value) = (extra.Split('=')[0], extra.Split('=')[1]);
                if (key == "state")
                    state = value;
                else
                    tags[key] = value;
            }

            result[parts[0]] = new MemberStatus
            {
                ConnUrl = "postgres://127.0.0.1:5432/postgres",
                ApiUrl = "http://127.0.0.1:8008/patroni",
                Role = parts[1],
                State = state,
                XlogLocation = long.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture),
                Tags = tags,
            };
        }

        return result;
    }
}
