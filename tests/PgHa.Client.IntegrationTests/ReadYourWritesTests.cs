using System.Diagnostics;
using Npgsql;
using PgHa.Client.Resilience;
using Xunit;
using Xunit.Abstractions;
using static PgHa.Client.IntegrationTests.ClusterHelpers;

namespace PgHa.Client.IntegrationTests;

public sealed class ReadYourWritesTests(ITestOutputHelper output) : ClusterTestBase
{
    /// <summary>10,000 in the default suite (about 12 s); <c>PGHA_RYW_PAIRS=100000 ./test.sh</c> for the long run the README quotes.</summary>
    private static readonly int Pairs = int.TryParse(Environment.GetEnvironmentVariable("PGHA_RYW_PAIRS"), out var n) && n > 0 ? n : 10_000;
    private const int Workers = 8;

    /// <summary>
    /// Each worker is one user: it sets its counter to n through its session, then reads it back through the same
    /// session, which may land on a replica. Meanwhile replay on the replicas is paused and resumed at random, so
    /// replicas fall behind and catch up all the time. A read that shows less than the worker's last write is a
    /// violation.
    /// </summary>
    [Fact]
    public async Task Many_write_then_read_pairs_with_replicas_lagging_at_random_never_miss_their_write()
    {
        var ds = DataSource(o => o.ReadYourWritesWait = TimeSpan.FromMilliseconds(20));
        await WaitForDiscoveryAsync(ds);
        await ds.EnsureCommitMarkerTableAsync();
        await Node1.ExecuteAsync($"CREATE TABLE counters(worker int PRIMARY KEY, n int NOT NULL); INSERT INTO counters SELECT g, 0 FROM generate_series(0, {Workers - 1}) g");
        await Node2.WaitForReplayAsync(Node1, TimeSpan.FromSeconds(10));
        await Node3.WaitForReplayAsync(Node1, TimeSpan.FromSeconds(10));
        var violations = 0;
        var done = 0;
        var onReplica = 0;
        var pauses = 0;
        using var stop = new CancellationTokenSource();

        var chaos = Task.Run(async () =>
        {
            var random = new Random(20261122);
            var replicas = new[] { Node2, Node3 };
            while (!stop.IsCancellationRequested)
            {
                var replica = replicas[random.Next(2)];
                await replica.PauseReplayAsync();
                pauses++;
                await Task.Delay(random.Next(20, 400));
                await replica.ResumeReplayAsync();
                await Task.Delay(random.Next(20, 400));
            }
        });

        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, Workers).Select(worker => Task.Run(async () =>
        {
            var session = ds.CreateSession();
            for (var n = 1; Interlocked.Increment(ref done) <= Pairs; n++)
            {
                await session.ExecuteWriteAsync(async (c, t, ct) =>
                {
                    await using var write = new NpgsqlCommand("UPDATE counters SET n = $2 WHERE worker = $1", c, t);
                    write.Parameters.AddWithValue(worker);
                    write.Parameters.AddWithValue(n);
                    await write.ExecuteNonQueryAsync(ct);
                });
                var (seen, replica) = await session.ExecuteReadAsync(async (c, ct) =>
                {
                    await using var read = new NpgsqlCommand("SELECT n, pg_is_in_recovery() FROM counters WHERE worker = $1", c);
                    read.Parameters.AddWithValue(worker);
                    await using var reader = await read.ExecuteReaderAsync(ct);
                    await reader.ReadAsync(ct);
                    return (reader.GetInt32(0), reader.GetBoolean(1));
                });
                if (seen < n)
                    Interlocked.Increment(ref violations);
                if (replica)
                    Interlocked.Increment(ref onReplica);
            }
        })).ToArray();
        await Task.WhenAll(workers);
        await stop.CancelAsync();
        await chaos;

        output.WriteLine($"{Pairs} pairs in {clock.Elapsed.TotalSeconds:0.0} s; {onReplica} reads on a replica, {Pairs - onReplica} on the primary; {pauses} replay pauses");
        Assert.Equal(0, violations);
        Assert.True(onReplica > Pairs / 10, $"only {onReplica} of {Pairs} reads went to a replica: the test did not exercise replicas");
        Assert.True(Pairs - onReplica > Pairs / 100, $"only {Pairs - onReplica} reads fell back to the primary: replicas never lagged");
    }

    [Fact]
    public async Task A_read_waits_briefly_for_a_replica_then_uses_the_primary_and_a_carried_token_keeps_working()
    {
        var ds = DataSource(o => o.ReadYourWritesWait = TimeSpan.FromMilliseconds(300));
        await WaitForDiscoveryAsync(ds);
        await ds.EnsureCommitMarkerTableAsync();
        await Node1.ExecuteAsync("CREATE TABLE notes(id int PRIMARY KEY)");
        await Node2.WaitForReplayAsync(Node1, TimeSpan.FromSeconds(10));
        await Node3.WaitForReplayAsync(Node1, TimeSpan.FromSeconds(10));
        await Node2.PauseReplayAsync();
        await Node3.PauseReplayAsync();
        var session = ds.CreateSession();
        await session.ExecuteWriteAsync(async (c, t, ct) =>
        {
            await using var insert = new NpgsqlCommand("INSERT INTO notes VALUES (1)", c, t);
            await insert.ExecuteNonQueryAsync(ct);
        });
        Assert.False(session.ConsistencyToken.IsNone);

        // The replicas do not have the write: the read waits for them, then goes to the primary.
        var clock = Stopwatch.StartNew();
        await using (var connection = await session.OpenReadConnectionAsync())
        {
            Assert.Equal(Node1.Port, await ServerPortAsync(connection));
            Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(250), $"went to the primary after {clock.Elapsed.TotalMilliseconds:0} ms");
        }

        // A plain replica read does not wait and does not see it: that is what the token is for.
        Assert.Equal(0L, await ds.ExecuteReadAsync(async (c, ct) => (long)(await new NpgsqlCommand("SELECT count(*) FROM notes", c).ExecuteScalarAsync(ct))!));

        // The token, carried as text to a later request's session, routes there to a replica once one has caught up.
        var carried = PgHaConsistencyToken.Parse(session.ConsistencyToken.ToString());
        await Node2.ResumeReplayAsync();
        await WaitForTopologyAsync(ds, t => NodeOf(t, Node2).WalPosition >= carried.Position);
        var later = ds.CreateSession(carried);
        var (port, count) = await later.ExecuteReadAsync(async (c, ct) =>
            (await ServerPortAsync(c), (long)(await new NpgsqlCommand("SELECT count(*) FROM notes", c).ExecuteScalarAsync(ct))!));
        Assert.Equal(Node2.Port, port);
        Assert.Equal(1L, count);
    }

    [Fact]
    public async Task With_replica_fallback_throw_a_token_no_replica_reaches_in_time_is_an_error_not_a_primary_read()
    {
        var ds = DataSource(o =>
        {
            o.ReplicaFallback = ReplicaFallback.Throw;
            o.ReadYourWritesWait = TimeSpan.FromMilliseconds(50);
        });
        await WaitForDiscoveryAsync(ds);
        await Node2.PauseReplayAsync();
        await Node3.PauseReplayAsync();
        var session = ds.CreateSession();
        await session.ExecuteWriteAsync(async (c, t, ct) =>
        {
            await using var write = new NpgsqlCommand("CREATE TABLE later(id int)", c, t);
            await write.ExecuteNonQueryAsync(ct);
        });

        var error = await Assert.ThrowsAsync<PgHaException>(() => session.ExecuteReadAsync((c, ct) => Task.FromResult(1), new UnitOfWorkOptions { ReadRole = TargetRole.Replica }));
        Assert.Contains($"No replica replayed up to consistency token {session.ConsistencyToken}", error.Message, StringComparison.Ordinal);
    }
}
