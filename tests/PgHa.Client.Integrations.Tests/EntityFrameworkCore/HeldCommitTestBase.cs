using System.Diagnostics;
using Npgsql;
using PgHa.Client.IntegrationTests;
using PgHa.Testing;
using Xunit;

namespace PgHa.Client.Integrations.Tests.EntityFrameworkCore;

/// <summary>For tests that need a COMMIT hanging in flight, deterministically.</summary>
public abstract class HeldCommitTestBase : EfClusterTestBase
{
    /// <summary>
    /// Runs <paramref name="body"/> with COMMITs on node1 held (see <see cref="HoldCommitsAsync"/>) and releases them
    /// afterwards whatever happened: a failing test must not leave its context disposing onto a COMMIT held forever.
    /// </summary>
    protected async Task WithCommitsHeldAsync(Func<Task> body)
    {
        await HoldCommitsAsync();
        try
        {
            await body();
        }
        finally
        {
            await ReleaseCommitsAsync();
        }
    }

    /// <summary>Resumes replay on both replicas: which one node1 waits for ('*' takes the first connected) is not ours to pick.</summary>
    protected async Task ReleaseCommitsAsync()
    {
        foreach (var replica in new[] { Node2, Node3 }.Where(n => n.IsRunning))
        {
            try
            {
                await replica.ResumeReplayAsync();
            }
            catch (PostgresException)
            {
                // promoted: no replay to resume
            }
        }
    }

    /// <summary>
    /// COMMITs on node1 wait until a replica has applied them, and replay is paused: every COMMIT hangs in flight.
    /// Set with ALTER SYSTEM on node1 only (auto.conf is not replicated), so a promoted replica does not wait.
    /// </summary>
    /// <summary>COMMITs on node1 hang in flight until <see cref="ReleaseCommitsAsync"/> (see <see cref="HeldCommits.HoldAsync"/>).</summary>
    private Task HoldCommitsAsync() => HeldCommits.HoldAsync(Node1, [Node2, Node3], DataSource);

    protected Task WaitForCommitWaitingOnReplicationAsync(Task write) => HeldCommits.WaitForCommitWaitingOnReplicationAsync(Node1, write);

    protected Task WaitForReceiveAsync(PgNode replica) => HeldCommits.WaitForReceiveAsync(Node1, replica);
}
