using Npgsql;
using PgHa.Agent.Tests.Harness;
using PgHa.Testing;
using Xunit;

namespace PgHa.Agent.Tests;

/// <summary>The leader's lease against short outages: an etcd stall, a slow state query on a loaded primary.</summary>
public sealed class AgentLeaseTests
{
    [Fact]
    public async Task Etcd_stalls_longer_than_RetryTimeout_but_shorter_than_the_lease_neither_demote_the_primary_nor_fail_over()
    {
        await using var cluster = await AgentCluster.StartAsync();
        var leader = await cluster.WaitForHealthyAsync();
        await Writer.CreateTableAsync(leader);
        var postmaster = leader.PostmasterPid();
        var writer = new Writer(cluster);
        var watch = PrimaryWatch.Start(leader);
        var etcd = cluster.Etcd.Members[0];
        for (var i = 0; i < 3; i++)
        {
            await Task.Delay(3000);
            // Right after the leader published its status, so the next request of every agent meets the stall. 2.5 s is
            // longer than one RetryTimeout (1.5 s), so a request times out, and shorter than the 4 s lease.
            await FreezeAfterLeaderTouchAsync(cluster, leader, etcd);
            await Task.Delay(2500);
            etcd.Thaw();
        }

        await Task.Delay(5000); // longer than the lease: a failover decided during a stall would show by now
        var violations = await watch.StopAsync();
        await writer.DisposeAsync();

        Assert.True(violations.Count == 0, $"the leader's server was not a writable primary at {violations.Count} of {watch.Samples} samples: {string.Join("; ", violations.Take(5))}\n{cluster.Logs()}");
        Assert.True(watch.Samples > 0);
        Assert.Equal(postmaster, leader.PostmasterPid());
        Assert.Equal(leader.Name, (await cluster.Dcs.LoadAsync(default)).Leader);
        Assert.All(writer.Acknowledged, a => Assert.Equal(leader.PgPort, a.Port));
    }

    [Fact]
    public async Task A_state_query_slower_than_RetryTimeout_neither_restarts_nor_demotes_the_leader()
    {
        await using var cluster = await AgentCluster.StartAsync();
        var leader = await cluster.WaitForHealthyAsync();
        var postmaster = leader.PostmasterPid();
        var watch = PrimaryWatch.Start(leader);
        // The agent's state query calls pg_postmaster_start_time() unqualified: a schema ahead of pg_catalog in the
        // agent role's search_path (new sessions only; the agent opens one per query) makes it sleep 4 s, longer than
        // RetryTimeout (1.5 s), for longer than PrimaryStartTimeout (10 s).
        await leader.ExecuteAsync("""
            CREATE SCHEMA slow;
            CREATE FUNCTION slow.pg_postmaster_start_time() RETURNS timestamptz LANGUAGE sql VOLATILE
                AS $$ SELECT pg_catalog.pg_sleep(4); SELECT pg_catalog.pg_postmaster_start_time() $$;
            ALTER ROLE postgres SET search_path = slow, pg_catalog, public;
            """);
        var sleptAt = 0;
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (DateTime.UtcNow < until)
        {
            sleptAt += await CountAsync(leader, "SELECT count(*) FROM pg_catalog.pg_stat_activity WHERE application_name = 'pgha-agent' AND wait_event = 'PgSleep'") > 0 ? 1 : 0;
            await Task.Delay(500);
        }

        await leader.ExecuteAsync("ALTER ROLE postgres RESET search_path");
        await Task.Delay(5000); // longer than the lease: a late demotion or failover would show by now
        var violations = await watch.StopAsync();

        Assert.True(sleptAt > 0, "the agent's state query never ran the slow function");
        Assert.True(violations.Count == 0, $"the leader's server was not a writable primary at {violations.Count} of {watch.Samples} samples: {string.Join("; ", violations.Take(5))}\n{cluster.Logs()}");
        Assert.Equal(postmaster, leader.PostmasterPid());
        Assert.Equal(leader.Name, (await cluster.Dcs.LoadAsync(default)).Leader);
    }

    private static async Task<long> CountAsync(AgentNode node, string sql)
    {
        await using var connection = new NpgsqlConnection(node.ConnectionString + ";Options=-c search_path=pg_catalog");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Waits for the leader's next member-key write (its cycle's status) and freezes etcd right then.</summary>
    private static async Task FreezeAfterLeaderTouchAsync(AgentCluster cluster, AgentNode leader, EtcdMember etcd)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var revision = (await cluster.Dcs.LoadAsync(timeout.Token)).Revision;
        var key = cluster.Dcs.Keys.Member(leader.Name);
        await foreach (var change in cluster.Dcs.WatchAsync(revision + 1, timeout.Token))
        {
            if (change.Key == key)
            {
                etcd.Freeze();
                return;
            }
        }
    }

    /// <summary>
    /// Samples one node every 100 ms over one connection opened at the start: a stop or a demotion (a restart) breaks it,
    /// so an error or <c>pg_is_in_recovery()</c> = true means the node stopped being a writable primary.
    /// </summary>
    private sealed class PrimaryWatch
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly List<string> _violations = [];
        private Task _loop = Task.CompletedTask;

        public int Samples { get; private set; }

        public static PrimaryWatch Start(AgentNode node)
        {
            var watch = new PrimaryWatch();
            watch._loop = Task.Run(() => watch.RunAsync(node));
            return watch;
        }

        public async Task<IReadOnlyList<string>> StopAsync()
        {
            await _stop.CancelAsync();
            await _loop;
            return _violations;
        }

        private async Task RunAsync(AgentNode node)
        {
            var started = DateTime.UtcNow;
            NpgsqlConnection? connection = null;
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    if (connection is null)
                    {
                        connection = new NpgsqlConnection(node.ConnectionString + ";Options=-c search_path=pg_catalog");
                        await connection.OpenAsync();
                    }

                    await using var command = new NpgsqlCommand("SELECT pg_catalog.pg_is_in_recovery()", connection);
                    if ((bool)(await command.ExecuteScalarAsync())!)
                        _violations.Add($"{(DateTime.UtcNow - started).TotalSeconds:0.0} s: in recovery");
                    Samples++;
                }
                catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or IOException or TimeoutException)
                {
                    _violations.Add($"{(DateTime.UtcNow - started).TotalSeconds:0.0} s: {ex.Message}");
                    if (connection is not null)
                        await connection.DisposeAsync();
                    connection = null;
                }

                try
                {
                    await Task.Delay(100, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                }
            }

            if (connection is not null)
                await connection.DisposeAsync();
        }
    }
}
