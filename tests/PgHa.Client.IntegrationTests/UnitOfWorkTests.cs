using System.Collections.Concurrent;
using System.Diagnostics;
using Npgsql;
using PgHa.Client.Resilience;
using PgHa.Client.Topology;
using PgHa.Testing;
using Xunit;
using static PgHa.Client.IntegrationTests.ClusterHelpers;

namespace PgHa.Client.IntegrationTests;

public sealed class UnitOfWorkTests : WriteTestBase
{
    [Theory]
    [InlineData("fast-shutdown")]
    [InlineData("sigkill")]
    [InlineData("read-only")]
    public async Task Writes_survive_a_primary_loss_or_demotion_with_no_error_no_loss_and_no_duplicate(string fault)
    {
        var ds = DataSource();
        await WaitForDiscoveryAsync(ds);
        await ds.EnsureCommitMarkerTableAsync();
        await Node1.ExecuteAsync("CREATE TABLE ids(id int PRIMARY KEY)");
        await Node2.WaitForReplayAsync(Node1, TimeSpan.FromSeconds(10));
        // Asynchronous replication loses commits the primary acknowledged but had not streamed when it died
        // (PostgreSQL's documented window, seen here as ~30 ids). "Nothing acknowledged is lost" needs every
        // acknowledged commit on the replica we promote: synchronous replication to both replicas.
        await Node1.ExecuteAsync("ALTER SYSTEM SET synchronous_standby_names = 'ANY 2 (*)'");
        await ConfigurationReload.ApplyAsync(Node1, ds, "current_setting('synchronous_standby_names') = 'ANY 2 (*)'");
        var acknowledged = new ConcurrentBag<int>();
        var errors = new ConcurrentQueue<Exception>();
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            for (var id = 0; !stop.IsCancellationRequested; id++)
            {
                try
                {
                    // A plain INSERT, not idempotent: a COMMIT cut off by the fault is looked up, never re-run blindly,
                    // so a duplicate would surface here as a unique violation.
                    await ds.ExecuteWriteAsync((c, t, ct) => InsertAsync(c, t, id, ct));
                    acknowledged.Add(id);
                }
                catch (Exception ex)
                {
                    errors.Enqueue(ex);
                }
            }
        });

        await Task.Delay(500);
        var survivor = fault == "read-only" ? Node1 : Node2;
        switch (fault)
        {
            case "sigkill":
                Node1.Kill();
                break;
            case "fast-shutdown":
                await Node1.StopAsync(PgStopMode.Fast);
                break;
            case "read-only":
                await Node1.ExecuteAsync("ALTER SYSTEM SET default_transaction_read_only = on");
                await Node1.ExecuteAsync("SELECT pg_reload_conf()");
                break;
        }

        await Task.Delay(300);
        if (fault == "read-only")
        {
            await Node1.ExecuteAsync("ALTER SYSTEM RESET default_transaction_read_only");
            await Node1.ExecuteAsync("SELECT pg_reload_conf()");
        }
        else
        {
            await Node2.PromoteAsync();
        }

        await Task.Delay(700);
        await stop.CancelAsync();
        await writer;

        Assert.Empty(errors);
        var present = await ReadIdsAsync(survivor);
        Assert.Equal(present.Length, present.Distinct().Count());
        Assert.Equal(acknowledged.Order(), present.Order());
        Assert.True(acknowledged.Count(id => id > 0) > 10, $"only {acknowledged.Count} writes acknowledged");
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
    public async Task A_write_that_hits_a_read_only_primary_waits_and_runs_once_it_is_writable_again_and_says_so()
    {
        using var telemetry = new TelemetryRecorder("read-only-test");
        // No regular probe until long after the test: the snapshot must learn of the read-only primary from the
        // write's 25006, not from a probe that happens to run between the reload and the write.
        var ds = DataSource(o =>
        {
            o.ClusterName = "read-only-test";
            o.ProbeInterval = TimeSpan.FromMinutes(5);
        });
        await WaitForDiscoveryAsync(ds);
        await ds.EnsureCommitMarkerTableAsync();
        await Node1.ExecuteAsync("CREATE TABLE ids(id int PRIMARY KEY)");
        await Node1.ExecuteAsync("ALTER SYSTEM SET default_transaction_read_only = on");
        await ConfigurationReload.ApplyAsync(Node1, ds, "current_setting('default_transaction_read_only')::bool");
        Assert.Equal(NodeRole.Primary, ds.Topology.Primary?.Role); // the snapshot does not know yet: the write will get 25006
        var retries = new ConcurrentQueue<UnitOfWorkRetry>();

        var write = ds.ExecuteWriteAsync((c, t, ct) => InsertAsync(c, t, 7, ct), new UnitOfWorkOptions
        {
            OnRetry = retry =>
            {
                retries.Enqueue(retry);
                return ValueTask.CompletedTask;
            },
        });
        await WaitForTopologyAsync(ds, t => NodeOf(t, Node1).IsReadOnly);
        Assert.False(write.IsCompleted);
        await Node1.ExecuteAsync("ALTER SYSTEM RESET default_transaction_read_only");
        await Node1.ExecuteAsync("SELECT pg_reload_conf()");

        await write.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(new[] { 7 }, await ReadIdsAsync(Node1));
        var retry = Assert.Single(retries);
        Assert.Equal((2, RetryReason.RoleChanged, Node1.Port), (retry.AttemptNumber, retry.Reason, retry.Node?.Port));
        Assert.Equal(PostgresErrorCodes.ReadOnlySqlTransaction, Assert.IsType<PostgresException>(retry.Exception).SqlState);
        Assert.Equal(1, telemetry.Sum("pgha.client.unit_of_work.retries", "pgha.retry.reason", "RoleChanged"));
        var span = Assert.Single(telemetry.Activities, a => a.OperationName == "pgha.unit_of_work.write");
        Assert.Equal(2, span.GetTagItem("pgha.unit_of_work.attempts"));
        Assert.Equal("RoleChanged", Assert.Single(span.Events).Tags.Single(t => t.Key == "pgha.retry.reason").Value);
    }

    [Fact]
    public async Task An_exception_from_on_retry_ends_the_unit_of_work()
    {
        var ds = DataSource();
        await WaitForDiscoveryAsync(ds);
        var runs = 0;

        var error = await Assert.ThrowsAsync<InvalidTimeZoneException>(() => ds.ExecuteWriteAsync(async (c, t, ct) =>
        {
            runs++;
            await using var conflict = new NpgsqlCommand("DO $$ BEGIN RAISE SQLSTATE '40001'; END $$", c, t);
            await conflict.ExecuteNonQueryAsync(ct);
        }, new UnitOfWorkOptions { OnRetry = retry => retry.Reason == RetryReason.Conflict ? throw new InvalidTimeZoneException("stop") : ValueTask.CompletedTask }));

        Assert.Equal("stop", error.Message);
        Assert.Equal(1, runs);
    }

    [Fact]
    public async Task A_unit_that_always_conflicts_gives_up_once_it_has_run_for_the_budget()
    {
        var ds = DataSource(o => o.RetryBudget = TimeSpan.FromMilliseconds(500));
        await WaitForDiscoveryAsync(ds);
        var runs = 0;

        // Conflicts are run again at once, waiting for nothing, so the budget of waits alone would never end them.
        var error = await Assert.ThrowsAsync<PgHaException>(() => ds.ExecuteWriteAsync(async (c, t, ct) =>
        {
            Interlocked.Increment(ref runs);
            await using var conflict = new NpgsqlCommand("DO $$ BEGIN RAISE SQLSTATE '40001'; END $$", c, t);
            await conflict.ExecuteNonQueryAsync(ct);
        }).WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.True(runs > 1, $"{runs} run(s)");
        Assert.StartsWith("Gave up after", error.Message, StringComparison.Ordinal);
        Assert.Equal(PostgresErrorCodes.SerializationFailure, Assert.IsType<PostgresException>(error.InnerException).SqlState);
    }

    [Fact]
    public async Task A_unit_that_sends_nothing_or_only_reads_commits_without_a_marker()
    {
        var ds = DataSource();
        await WaitForDiscoveryAsync(ds);
        await ds.EnsureCommitMarkerTableAsync();

        await ds.ExecuteWriteAsync((c, t, ct) => Task.CompletedTask);
        var answer = await ds.ExecuteWriteAsync(async (c, t, ct) => (int)(await new NpgsqlCommand("SELECT 42", c, t).ExecuteScalarAsync(ct))!);

        Assert.Equal(42, answer);
        Assert.Equal(0, await Node1.ExecuteScalarAsync<long>("SELECT count(*) FROM pgha.commit_markers"));
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
}
