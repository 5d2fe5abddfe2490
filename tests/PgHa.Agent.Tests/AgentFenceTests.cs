using PgHa.Agent.Tests.Harness;
using PgHa.Testing;
using Xunit;

namespace PgHa.Agent.Tests;

/// <summary>The fence (the watchdog process): it kills the whole server, and a watchdog that does not answer keeps its member from leading.</summary>
public sealed class AgentFenceTests
{
    [Fact]
    public async Task When_the_fence_fires_every_process_of_the_server_is_killed_even_a_child_that_cannot_answer_the_postmaster()
    {
        await using var cluster = await AgentCluster.StartAsync();
        var old = await cluster.WaitForHealthyAsync();
        var server = NodeProcesses.Server(old);
        var checkpointer = NodeProcesses.Checkpointer(old) ?? throw new InvalidOperationException("no checkpointer found under the leader's postmaster");
        Assert.True(server.Count > 3, $"the server has only {server.Count} processes");

        // A stopped child does not act on the postmaster's shutdown signal: asking the postmaster to quit would leave it behind.
        NodeProcesses.Stop(checkpointer);
        try
        {
            old.FreezeAgent();
            await cluster.WaitForAsync(v => v.Leader is { } l && l != old.Name && v.Members.TryGetValue(l, out var m) && m.Role == "primary", TimeSpan.FromSeconds(30), "a new leader");
            await Poll.UntilAsync(() => Task.FromResult(!server.Any(NodeProcesses.IsAlive)), cluster, TimeSpan.FromSeconds(10), "every process of the fenced server to be gone");
        }
        finally
        {
            NodeProcesses.Kill(checkpointer); // the fault's leftover, if the fence left it
            old.ThawAgent();
        }

        Assert.Contains("killing the postmaster", old.LogTail(200));
    }

    [Fact]
    public async Task A_leader_whose_watchdog_does_not_acknowledge_demotes_itself_and_another_member_is_promoted()
    {
        await using var cluster = await AgentCluster.StartAsync();
        var old = await cluster.WaitForHealthyAsync();
        var watchdog = NodeProcesses.Watchdog(old) ?? throw new InvalidOperationException("no watchdog process found under the leader's agent");

        NodeProcesses.Stop(watchdog); // hung: it reads nothing and answers nothing, but its pipe still takes a write
        try
        {
            await cluster.WaitForAsync(v => v.Leader is { } l && l != old.Name && v.Members.TryGetValue(l, out var m) && m.Role == "primary", TimeSpan.FromSeconds(30), "another leader");
            // The key went only after the old primary stopped: it takes no writes beside the new one.
            Assert.False(await AcceptsWritesAsync(old), "the old leader still takes writes beside the new one\n" + cluster.Logs());
        }
        finally
        {
            NodeProcesses.Continue(watchdog);
        }

        Assert.Contains("did not acknowledge", old.LogTail(200));
        await cluster.WaitForHealthyAsync(expectedReplicas: cluster.Nodes); // and it comes back as a replica, with a new watchdog
    }

    private static async Task<bool> AcceptsWritesAsync(AgentNode node)
    {
        try
        {
            return !await node.ScalarAsync<bool>("SELECT pg_is_in_recovery()");
        }
        catch (Npgsql.NpgsqlException)
        {
            return false;
        }
    }
}
