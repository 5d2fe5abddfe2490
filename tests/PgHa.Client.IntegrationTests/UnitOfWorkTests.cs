using System.Collections.Concurrent;
using System.Diagnostics;
using Npgsql;
using PgHa.Client.Resilience;
using PgHa.Client.Topology;
using PgHa.Testing;
using Xunit;
using static PgHa.Client.IntegrationTests.ClusterHelpers;

namespace PgHa.Client.IntegrationTests;

public sealed class UnitOfWorkTests : ClusterTestBase
{
    private static readonly UnitOfWorkOptions Idempotent = new() { IsIdempotent = true };

    [Theory]
    [InlineData("fast-shutdown")]
    [InlineData("sigkill")]
    public async Task Writes_survive_a_primary_loss_and_promotion_with_no_error_and_no_duplicate(string fault)
    {
        var ds = DataSource();
        await WaitForDiscoveryAsync(ds);
        await Node1.ExecuteAsync("CREATE TABLE ids(id int PRIMARY KEY)");
        await Node2.WaitForReplayAsync(Node1, TimeSpan.FromSeconds(10));
        // Asynchronous replication loses commits the primary acknowledged but had not streamed when it died
        // (PostgreSQL's documented window, seen here as ~30 ids). "Nothing acknowledged is lost" needs every
        // acknowledged commit on the replica we promote: synchronous replication to both replicas.
        await Node1.ExecuteAsync("ALTER SYSTEM SET synchronous_standby_names = 'ANY 2 (*)'");
        await Node1.ExecuteAsync("SELECT pg_reload_conf()");
        var acknowledged = new ConcurrentBag<int>();
        var errors = new ConcurrentQueue<Exception>();
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            for (var id = 0; !stop.IsCancellationRequested; id++)
            {
                try
                {
                    // ON CONFLICT + idempotent: a unit whose COMMIT was in flight at the crash may run twice harmlessly.
                    await ds.ExecuteWriteAsync(async (c, t, ct) =>
                    {
                        await using var insert = new NpgsqlCommand("INSERT INTO ids VALUES ($1) ON CONFLICT DO NOTHING", c, t);
                        insert.Parameters.AddWithValue(id);
                        await insert.ExecuteNonQueryAsync(ct);
                    }, Idempotent);
                    acknowledged.Add(id);
                }
                catch (Exception ex)
                {
                    errors.Enqueue(ex);
                }
            }
        });

        await Task.Delay(500);
        if (fault == "sigkill")
            Node1.Kill();
        else
            await Node1.StopAsync(PgStopMode.Fast);
        await Task.Delay(300);
        await Node2.PromoteAsync();
        await Task.Delay(700);
        await stop.CancelAsync();
        await writer;

        Assert.Empty(errors);
        var present = (await ReadIdsAsync(Node2)).ToHashSet();
        Assert.All(acknowledged, id => Assert.Contains(id, present));
        Assert.True(acknowledged.Count(id => id > 0) > 10, $"only {acknowledged.Count} writes acknowledged");
    }

    [Fact]
    public async Task A_write_whose_commit_was_in_flight_is_not_run_again_blindly()
    {
        var ds = DataSource();
        await WaitForDiscoveryAsync(ds);
        await HoldCommitsAsync();
        var write = ds.ExecuteWriteAsync(async (c, t, ct) =>
        {
            await using var insert = new NpgsqlCommand("INSERT INTO ids VALUES (1)", c, t);
            await insert.ExecuteNonQueryAsync(ct);
        });
        await WaitForCommitWaitingOnReplicationAsync();

        Node1.Kill();

        var unknown = await Assert.ThrowsAsync<PgHaCommitOutcomeUnknownException>(() => write.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(Node1.Port, unknown.Node.Port);
        Assert.Contains("COMMIT was in flight", unknown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_idempotent_write_whose_commit_was_in_flight_runs_again_on_the_new_primary()
    {
        var ds = DataSource();
        await WaitForDiscoveryAsync(ds);
        await HoldCommitsAsync();
        var write = ds.ExecuteWriteAsync(async (c, t, ct) =>
        {
            await using var insert = new NpgsqlCommand("INSERT INTO ids VALUES (1) ON CONFLICT DO NOTHING RETURNING inet_server_port()", c, t);
            return await insert.ExecuteScalarAsync(ct);
        }, Idempotent);
        await WaitForCommitWaitingOnReplicationAsync();

        Node1.Kill();
        await Node2.ResumeReplayAsync();
        await Node2.PromoteAsync();

        await write.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(new[] { 1 }, await ReadIdsAsync(Node2));
    }

    [Fact]
    public async Task Cancelling_during_a_held_commit_reports_the_outcome_unknown_and_never_cancels_the_commit()
    {
        var ds = DataSource();
        await WaitForDiscoveryAsync(ds);
        await HoldCommitsAsync();
        using var cancel = new CancellationTokenSource();
        var write = ds.ExecuteWriteAsync(async (c, t, ct) =>
        {
            await using var insert = new NpgsqlCommand("INSERT INTO ids VALUES (1)", c, t);
            await insert.ExecuteNonQueryAsync(ct);
        }, cancellationToken: cancel.Token);
        await WaitForCommitWaitingOnReplicationAsync();

        await cancel.CancelAsync();

        // Cancelling a COMMIT that waits for a synchronous standby would make PostgreSQL commit it locally,
        // unreplicated, and answer success. PgHa must not send that cancel: the COMMIT keeps waiting.
        await Assert.ThrowsAsync<PgHaCommitOutcomeUnknownException>(() => write.WaitAsync(TimeSpan.FromSeconds(5)));
        await Task.Delay(300);
        Assert.Equal(1, await Node1.ExecuteScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'"));
        Assert.Equal(0, await Node1.ExecuteScalarAsync<long>("SELECT count(*) FROM ids"));
    }

    [Fact]
    public async Task An_idempotent_write_cut_off_in_commit_that_cannot_run_again_still_reports_the_outcome_unknown()
    {
        var ds = DataSource(o => o.RetryBudget = TimeSpan.FromSeconds(2));
        await WaitForDiscoveryAsync(ds);
        await HoldCommitsAsync();
        var write = ds.ExecuteWriteAsync(async (c, t, ct) =>
        {
            await using var insert = new NpgsqlCommand("INSERT INTO ids VALUES (1) ON CONFLICT DO NOTHING", c, t);
            await insert.ExecuteNonQueryAsync(ct);
        }, Idempotent);
        await WaitForCommitWaitingOnReplicationAsync();

        Node1.Kill(); // and no promotion: the retry finds no primary within the budget

        var unknown = await Assert.ThrowsAsync<PgHaCommitOutcomeUnknownException>(() => write.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(Node1.Port, unknown.Node.Port);
        Assert.StartsWith("Gave up after 2 attempt(s)", unknown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_unit_that_swallowed_an_error_is_not_reported_as_committed()
    {
        var ds = DataSource();
        await WaitForDiscoveryAsync(ds);
        await Node1.ExecuteAsync("CREATE TABLE ids(id int PRIMARY KEY); INSERT INTO ids VALUES (1)");

        var error = await Assert.ThrowsAsync<PostgresException>(() => ds.ExecuteWriteAsync(async (c, t, ct) =>
        {
            await using (var fine = new NpgsqlCommand("INSERT INTO ids VALUES (2)", c, t))
                await fine.ExecuteNonQueryAsync(ct);
            try
            {
                await using var duplicate = new NpgsqlCommand("INSERT INTO ids VALUES (1)", c, t);
                await duplicate.ExecuteNonQueryAsync(ct);
            }
            catch (PostgresException)
            {
                // swallowed: the server has aborted the transaction, so COMMIT would answer ROLLBACK
            }
        }));

        Assert.Equal(PostgresErrorCodes.InFailedSqlTransaction, error.SqlState);
        Assert.Equal(new[] { 1 }, await ReadIdsAsync(Node1));
    }

    [Fact]
    public async Task A_write_that_hits_a_read_only_primary_waits_and_runs_once_it_is_writable_again()
    {
        var ds = DataSource();
        await WaitForDiscoveryAsync(ds);
        await Node1.ExecuteAsync("CREATE TABLE ids(id int PRIMARY KEY)");
        await Node1.ExecuteAsync("ALTER SYSTEM SET default_transaction_read_only = on");
        await Node1.ExecuteAsync("SELECT pg_reload_conf()");
        Assert.Equal(NodeRole.Primary, ds.Topology.Primary?.Role); // the snapshot does not know yet: the write will get 25006

        var write = ds.ExecuteWriteAsync(async (c, t, ct) =>
        {
            await using var insert = new NpgsqlCommand("INSERT INTO ids VALUES (7)", c, t);
            await insert.ExecuteNonQueryAsync(ct);
        });
        await WaitForTopologyAsync(ds, t => NodeOf(t, Node1).IsReadOnly);
        Assert.False(write.IsCompleted);
        await Node1.ExecuteAsync("ALTER SYSTEM RESET default_transaction_read_only");
        await Node1.ExecuteAsync("SELECT pg_reload_conf()");

        await write.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(new[] { 7 }, await ReadIdsAsync(Node1));
    }

    [Fact]
    public async Task Errors_about_the_work_itself_surface_unchanged_at_once()
    {
        var ds = DataSource();
        await WaitForDiscoveryAsync(ds);
        await Node1.ExecuteAsync("CREATE TABLE ids(id int PRIMARY KEY); INSERT INTO ids VALUES (1)");
        var attempts = 0;

        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<PostgresException>(() => ds.ExecuteWriteAsync(async (c, t, ct) =>
        {
            attempts++;
            await using var insert = new NpgsqlCommand("INSERT INTO ids VALUES (1)", c, t);
            await insert.ExecuteNonQueryAsync(ct);
        }));

        Assert.Equal(PostgresErrorCodes.UniqueViolation, error.SqlState);
        Assert.Equal(1, attempts);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task Cancellation_stops_retrying_at_once_and_an_exhausted_budget_says_what_was_tried()
    {
        var ds = DataSource(o => o.RetryBudget = TimeSpan.FromSeconds(2));
        await WaitForDiscoveryAsync(ds);
        Node1.Kill();
        await WaitForTopologyAsync(ds, t => t.Primary is null);
        static async Task Work(NpgsqlConnection c, NpgsqlTransaction t, CancellationToken ct)
        {
            await using var command = new NpgsqlCommand("SELECT 1", c, t);
            await command.ExecuteNonQueryAsync(ct);
        }

        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var clock = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ds.ExecuteWriteAsync(Work, cancellationToken: cancel.Token));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"cancellation took {clock.Elapsed}");

        clock.Restart();
        var exhausted = await Assert.ThrowsAsync<PgHaException>(() => ds.ExecuteWriteAsync(Work));
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1.8), TimeSpan.FromSeconds(4));
        Assert.Contains($"{Node1.Endpoint} down", exhausted.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reads_run_again_on_another_node_when_theirs_fails()
    {
        var ds = DataSource(o => o.LoadBalancing = LoadBalancing.None);
        await WaitForDiscoveryAsync(ds);
        var attempts = 0;

        var port = await ds.ExecuteReadAsync(async (c, ct) =>
        {
            if (Interlocked.Increment(ref attempts) == 1)
                Node2.Kill(); // the replica we are on dies mid-unit
            await using var command = new NpgsqlCommand("SELECT inet_server_port()", c);
            return (int)(await command.ExecuteScalarAsync(ct))!;
        });

        Assert.Equal(Node3.Port, port);
        Assert.Equal(2, attempts);
    }

    /// <summary>COMMITs on node1 wait until a replica has applied them, and replay is paused: every COMMIT hangs in flight.</summary>
    private async Task HoldCommitsAsync()
    {
        await Node1.ExecuteAsync("CREATE TABLE ids(id int PRIMARY KEY)");
        await Node2.WaitForReplayAsync(Node1, TimeSpan.FromSeconds(10));
        await Node3.WaitForReplayAsync(Node1, TimeSpan.FromSeconds(10));
        await Node2.PauseReplayAsync();
        await Node3.PauseReplayAsync();
        await Node1.ExecuteAsync("ALTER SYSTEM SET synchronous_standby_names = '*'");
        await Node1.ExecuteAsync("ALTER SYSTEM SET synchronous_commit = 'remote_apply'");
        await Node1.ExecuteAsync("SELECT pg_reload_conf()");
    }

    private async Task WaitForCommitWaitingOnReplicationAsync()
    {
        var clock = Stopwatch.StartNew();
        while (await Node1.ExecuteScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'") == 0)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "no COMMIT started waiting for replication");
            await Task.Delay(20);
        }
    }

    private static async Task<int[]> ReadIdsAsync(PgNode node)
    {
        await using var connection = new NpgsqlConnection(node.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT id FROM ids ORDER BY id", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var ids = new List<int>();
        while (await reader.ReadAsync())
            ids.Add(reader.GetInt32(0));
        return [.. ids];
    }
}
