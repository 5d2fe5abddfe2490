using PgHa.Agent.Tests.Harness;
using PgHa.Testing;
using Xunit;

namespace PgHa.Agent.Tests;

/// <summary>A planned switchover whose clean shutdown is slow: the old leader's own fence must not cut it off.</summary>
public sealed class AgentSwitchoverTests
{
    /// <summary>Longer than the 4 s lease, so a leader that stopped renewing for its shutdown would be fenced.</summary>
    private static readonly TimeSpan Hold = TimeSpan.FromSeconds(8);

    [Fact]
    public async Task A_switchover_whose_shutdown_checkpoint_outlasts_the_lease_shuts_down_cleanly_and_loses_no_acknowledged_write()
    {
        await using var cluster = await AgentCluster.StartAsync(); // asynchronous replication
        var old = await cluster.WaitForHealthyAsync();
        var candidate = cluster.Nodes.First(n => n != old);
        await Writer.CreateTableAsync(old);
        var writer = new Writer(cluster);
        await Poll.UntilAsync(() => Task.FromResult(writer.Acknowledged.Count(a => a.Port == old.PgPort) >= 20), cluster, TimeSpan.FromSeconds(60), "20 writes acknowledged by the old leader");

        var checkpointer = NodeProcesses.Checkpointer(old) ?? throw new InvalidOperationException("no checkpointer found under the leader's postmaster");
        var logFrom = new FileInfo(old.LogFile).Length;
        NodeProcesses.Stop(checkpointer);
        Task<(int Code, string Text)> switchover;
        try
        {
            switchover = old.PostAsync("/switchover", new { leader = old.Name, candidate = candidate.Name }, AgentCluster.Token);
            await Task.Delay(Hold);
            Assert.Equal(old.Name, (await cluster.Dcs.LoadAsync(default)).Leader); // its lease was kept while the shutdown waited
            Assert.NotNull(old.PostmasterPid());
        }
        finally
        {
            NodeProcesses.Continue(checkpointer);
        }

        var (code, text) = await switchover;
        Assert.True(code == 200 && text.Contains($"Successfully switched over to \"{candidate.Name}\"", StringComparison.Ordinal), $"{code} {text}\n{cluster.Logs()}");
        await cluster.WaitForHealthyAsync(expectedReplicas: cluster.Nodes);
        await Poll.UntilAsync(() => Task.FromResult(writer.Acknowledged.Any(a => a.Port == candidate.PgPort)), cluster, what: "a write on the new leader");
        await writer.DisposeAsync();

        Assert.Empty(await WriteCheck.MissingAsync(candidate, writer));
        var agentLog = ReadFrom(old.LogFile, logFrom);
        Assert.False(agentLog.Contains("pgha-agent watchdog:", StringComparison.Ordinal), $"the old leader was fenced during the switchover:\n{agentLog}");
        var shutdown = LastFastShutdown(old);
        Assert.True(shutdown.Contains("database system is shut down", StringComparison.Ordinal) && !shutdown.Contains("immediate shutdown", StringComparison.Ordinal),
            $"the old leader's fast shutdown did not complete cleanly:\n{shutdown}\n{cluster.Logs()}");
    }

    private static string ReadFrom(string path, long offset)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        stream.Position = offset;
        return new StreamReader(stream).ReadToEnd();
    }

    /// <summary>The old leader's server log from its last fast-shutdown request up to its next start.</summary>
    private static string LastFastShutdown(AgentNode node)
    {
        var log = ReadFrom(Path.TrimEndingDirectorySeparator(node.DataDirectory) + ".log", 0);
        var start = log.LastIndexOf("received fast shutdown request", StringComparison.Ordinal);
        Assert.True(start >= 0, "the old leader's server log shows no fast shutdown");
        var end = log.IndexOf("starting PostgreSQL", start, StringComparison.Ordinal);
        return log[start..(end < 0 ? log.Length : end)];
    }
}
