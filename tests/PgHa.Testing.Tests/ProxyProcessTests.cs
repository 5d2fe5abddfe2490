using System.Globalization;
using Npgsql;

namespace PgHa.Testing.Tests;

public sealed class ProxyProcessTests(SharedCluster shared) : IClassFixture<SharedCluster>
{
    [Fact]
    public async Task HAProxy_started_from_a_written_configuration_forwards_to_the_primary_and_dispose_leaves_nothing_behind()
    {
        var port = LoopbackPorts.Next();
        var primary = shared.Cluster.InitialPrimary;
        var proxy = await ProxyProcess.StartAsync(
            "/usr/sbin/haproxy",
            _ => new Dictionary<string, string>
            {
                ["haproxy.cfg"] = string.Create(CultureInfo.InvariantCulture, $"""
                    defaults
                        mode tcp
                        timeout connect 2s
                        timeout client 30s
                        timeout server 30s
                    listen pg
                        bind 127.0.0.1:{port}
                        server primary 127.0.0.1:{primary.Port}
                    """),
            },
            root => ["-db", "-f", Path.Combine(root, "haproxy.cfg")],
            port);
        var root = proxy.RootDirectory;

        var builder = new NpgsqlConnectionStringBuilder(primary.ConnectionString) { Host = "127.0.0.1", Port = port };
        await using (var connection = new NpgsqlConnection(builder.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT pg_is_in_recovery()", connection);
            Assert.False((bool)(await command.ExecuteScalarAsync())!);
        }

        Assert.NotEmpty(TestClusters.ProcessesMentioning(root + "/"));
        await proxy.DisposeAsync();

        Assert.Empty(TestClusters.ProcessesMentioning(root + "/"));
        Assert.False(Directory.Exists(root));
    }

    [Fact]
    public async Task A_proxy_that_exits_at_start_fails_with_its_log()
    {
        var error = await Assert.ThrowsAsync<PgHarnessException>(() => ProxyProcess.StartAsync(
            "/usr/sbin/haproxy",
            _ => new Dictionary<string, string> { ["haproxy.cfg"] = "this is not a configuration\n" },
            root => ["-db", "-f", Path.Combine(root, "haproxy.cfg")],
            LoopbackPorts.Next()));

        Assert.Contains("exited", error.Message, StringComparison.Ordinal);
    }
}
