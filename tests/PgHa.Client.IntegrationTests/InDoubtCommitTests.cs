using Npgsql;
using PgHa.Client.Resilience;
using PgHa.Testing;
using Xunit;
using static PgHa.Client.IntegrationTests.ClusterHelpers;

namespace PgHa.Client.IntegrationTests;

/// <summary>
/// COMMITs cut off in flight (held deterministically in the synchronous-replication wait, then the primary is
/// killed), looked up through commit markers on whichever node is primary afterwards.
/// </summary>
public sealed class InDoubtCommitTests : WriteTestBase
{
    [Fact]
    public async Task A_commit_cut_off_after_the_new_primary_received_it_is_found_committed_and_not_run_again()
    {
        using var telemetry = new TelemetryRecorder("committed-test");
        var ds = DataSource(o => o.ClusterName = "committed-test");
        var write = await StartHeldWriteAsync(ds);
        await WaitForReceiveAsync(Node2);

        Node1.Kill();
        await Node2.ResumeReplayAsync();
        await Node2.PromoteAsync();

        await write.Task.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(1, write.Runs);
        Assert.Equal(new[] { 1 }, await ReadIdsAsync(Node2));
        Assert.Equal(1, telemetry.Sum("pgha.client.commit.in_doubt", "pgha.commit.resolution", "committed"));
    }

    [Fact]
    public async Task A_commit_cut_off_before_it_reached_the_new_primary_is_fenced_there_and_run_again_once()
    {
        using var telemetry = new TelemetryRecorder("fence-test");
        var ds = DataSource(o => o.ClusterName = "fence-test");
        // node2 will not see the COMMIT: node3 is the standby it waits for
        var write = await StartHeldWriteAsync(ds, beforeWrite: () => Node2.StopAsync(PgStopMode.Fast));

        Node1.Kill();
        await Node2.StartAsync();
        await Node2.PromoteAsync();

        await write.Task.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(2, write.Runs);
        Assert.Equal(new[] { 1 }, await ReadIdsAsync(Node2));
        Assert.Equal(1, await Node2.ExecuteScalarAsync<long>("SELECT count(*) FROM pgha.commit_markers WHERE kind = 'f'"));
        Assert.Equal(1, telemetry.Sum("pgha.client.commit.in_doubt", "pgha.commit.resolution", "not_committed"));
        Assert.Equal(1, telemetry.Sum("pgha.client.unit_of_work.retries", "pgha.retry.reason", "CommitNotApplied"));
    }

    [Fact]
    public async Task A_commit_cut_off_by_a_crash_restart_is_reported_committed_only_once_replicated_like_any_acknowledged_commit()
    {
        var ds = DataSource();
        var write = await StartHeldWriteAsync(ds);

        Node1.Kill();
        await Node1.StartAsync(); // crash recovery marks the COMMIT committed, replicated or not
        await WaitForCommitWaitingOnReplicationAsync(write.Task); // the lookup's own COMMIT now waits for the standbys too
        await Task.Delay(300);
        Assert.False(write.Task.IsCompleted, "reported committed before the commit was on a standby");

        await ReleaseHeldCommitsAsync();

        await write.Task.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(1, write.Runs);
        Assert.Equal(new[] { 1 }, await ReadIdsAsync(Node2));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_commit_cut_off_with_no_primary_to_ask_reports_the_outcome_unknown_with_its_marker(bool idempotent)
    {
        var ds = DataSource(o => o.RetryBudget = TimeSpan.FromSeconds(2));
        await WaitForDiscoveryAsync(ds);
        await HoldCommitsAsync(ds);
        var write = ds.ExecuteWriteAsync((c, t, ct) => InsertAsync(c, t, 1, ct), new UnitOfWorkOptions { IsIdempotent = idempotent });
        await WaitForCommitWaitingOnReplicationAsync();

        Node1.Kill(); // and no promotion

        var unknown = await Assert.ThrowsAsync<PgHaCommitOutcomeUnknownException>(() => write.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(Node1.Port, unknown.Node.Port);
        Assert.Equal(CommitOutcomeUnknownReason.NoPrimary, unknown.Reason);
        Assert.NotNull(unknown.Token);
        Assert.Contains($"token = '{unknown.Token}'", unknown.Message, StringComparison.Ordinal);
        await Node1.StartAsync();
        Assert.Equal("c", await Node1.ExecuteScalarAsync<string>($"SELECT kind::text FROM pgha.commit_markers WHERE token = '{unknown.Token}'"));
    }

    [Fact]
    public async Task Cancelling_during_a_held_commit_reports_the_outcome_unknown_and_never_cancels_the_commit()
    {
        var ds = DataSource();
        await WaitForDiscoveryAsync(ds);
        await HoldCommitsAsync(ds);
        using var cancel = new CancellationTokenSource();
        var write = ds.ExecuteWriteAsync((c, t, ct) => InsertAsync(c, t, 1, ct), cancellationToken: cancel.Token);
        await WaitForCommitWaitingOnReplicationAsync(write);

        await cancel.CancelAsync();

        // Cancelling a COMMIT that waits for a synchronous standby would make PostgreSQL commit it locally,
        // unreplicated, and answer success. PgHa must not send that cancel: the COMMIT keeps waiting.
        var unknown = await Assert.ThrowsAsync<PgHaCommitOutcomeUnknownException>(() => write.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(CommitOutcomeUnknownReason.Cancelled, unknown.Reason);
        await Task.Delay(300);
        Assert.Equal(1, await Node1.ExecuteScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'"));
        Assert.Equal(0, await Node1.ExecuteScalarAsync<long>("SELECT count(*) FROM ids"));
    }

    [Fact]
    public async Task With_resolution_off_a_cut_off_commit_is_unknown_unless_the_unit_is_idempotent()
    {
        var ds = DataSource(o => o.ResolveInDoubtCommits = false);
        await WaitForDiscoveryAsync(ds);
        await HoldCommitsAsync(ds);
        var plain = ds.ExecuteWriteAsync((c, t, ct) => InsertAsync(c, t, 1, ct));
        var idempotent = ds.ExecuteWriteAsync(async (c, t, ct) =>
        {
            await using var insert = new NpgsqlCommand("INSERT INTO ids VALUES (2) ON CONFLICT DO NOTHING", c, t);
            await insert.ExecuteNonQueryAsync(ct);
        }, new UnitOfWorkOptions { IsIdempotent = true });
        await WaitForCommitsWaitingOnReplicationAsync(plain, idempotent);
        await WaitForReceiveAsync(Node2);

        Node1.Kill();
        await Node2.ResumeReplayAsync();
        await Node2.PromoteAsync();

        var unknown = await Assert.ThrowsAsync<PgHaCommitOutcomeUnknownException>(() => plain.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(CommitOutcomeUnknownReason.ResolutionDisabled, unknown.Reason);
        await idempotent.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Contains(2, await ReadIdsAsync(Node2));
    }

    [Fact]
    public async Task A_unit_that_commits_its_own_transaction_is_refused()
    {
        var ds = DataSource();
        await WaitForDiscoveryAsync(ds);
        await Node1.ExecuteAsync("CREATE TABLE ids(id int PRIMARY KEY)");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => ds.ExecuteWriteAsync(async (c, t, ct) =>
        {
            await InsertAsync(c, t, 1, ct);
            await t.CommitAsync(ct);
        }));

        Assert.Contains("must not commit or roll back", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_role_that_may_not_create_the_marker_table_gets_the_script_to_run()
    {
        await Node1.ExecuteAsync("CREATE ROLE app LOGIN PASSWORD 'app-password'");
        var app = new NpgsqlConnectionStringBuilder(Cluster.ConnectionString) { Username = "app", Password = "app-password" };
        var ds = DataSource(connectionString: app.ConnectionString);
        await WaitForDiscoveryAsync(ds);

        var error = await Assert.ThrowsAsync<PgHaException>(() => ds.ExecuteWriteAsync((c, t, ct) => Task.CompletedTask));

        Assert.Contains("CREATE TABLE IF NOT EXISTS pgha.commit_markers", error.Message, StringComparison.Ordinal);
        await Node1.ExecuteAsync(ds.CommitMarkerTableScript!);
        await Node1.ExecuteAsync("GRANT USAGE ON SCHEMA pgha TO app; GRANT SELECT, INSERT, UPDATE, DELETE ON pgha.commit_markers TO app");
        await ds.ExecuteWriteAsync(async (c, t, ct) =>
        {
            await using var write = new NpgsqlCommand("CREATE TEMP TABLE scratch(x int); INSERT INTO scratch VALUES (1)", c, t);
            await write.ExecuteNonQueryAsync(ct);
        });
    }

    [Fact]
    public async Task Markers_older_than_the_retention_are_swept_and_newer_ones_kept()
    {
        var ds = DataSource();
        await WaitForDiscoveryAsync(ds);
        await ds.EnsureCommitMarkerTableAsync();
        var now = DateTimeOffset.UtcNow;
        var old = Enumerable.Range(1, 12_000).Select(i => Guid.CreateVersion7(now.AddMinutes(-20).AddMilliseconds(i))).ToArray();
        var fresh = Enumerable.Range(1, 50).Select(i => Guid.CreateVersion7(now.AddMinutes(-1).AddMilliseconds(i))).ToArray();
        await using (var connection = new NpgsqlConnection(Node1.ConnectionString))
        {
            await connection.OpenAsync();
            await using var insert = new NpgsqlCommand("INSERT INTO pgha.commit_markers (token) SELECT unnest($1::uuid[])", connection);
            insert.Parameters.AddWithValue(old.Concat(fresh).ToArray());
            await insert.ExecuteNonQueryAsync();
        }

        var deleted = await ds.Units.Sweeper!.SweepAsync(now.AddMinutes(-10));

        Assert.Equal(old.Length, deleted);
        Assert.Equal(fresh.Length, await Node1.ExecuteScalarAsync<long>("SELECT count(*) FROM pgha.commit_markers"));
    }
}
