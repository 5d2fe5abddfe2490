using Npgsql;

namespace PgHa.Testing.Tests;

public sealed class ClusterOptionsTests
{
    [Fact]
    public async Task Password_is_required_on_every_node_and_replication_still_works()
    {
        await using var cluster = await TestClusters.StartAsync(replicas: 1, o => o.Password = "s3cret 'quoted'");
        var (primary, replica) = (cluster.Nodes[0], cluster.Nodes[1]);
        await TestClusters.CreateTableAsync(primary);
        await TestClusters.InsertAsync(primary, 1, "authenticated");
        await replica.WaitForReplayAsync(primary, TestClusters.ReplayTimeout);

        Assert.Equal(1, await TestClusters.CountAsync(replica, "authenticated"));
        Assert.Contains("Password=", cluster.ConnectionString, StringComparison.Ordinal);
        var withoutPassword = new NpgsqlConnectionStringBuilder(replica.ConnectionString) { Password = null, Timeout = 3 };
        await using var connection = new NpgsqlConnection(withoutPassword.ConnectionString);
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => connection.OpenAsync());
    }

    [Fact]
    public async Task Database_other_than_postgres_is_created_and_named_in_connection_strings()
    {
        await using var cluster = await TestClusters.StartAsync(replicas: 0, o =>
        {
            o.Database = "orders";
            o.Settings["work_mem"] = "7MB";
        });
        var primary = cluster.InitialPrimary;

        Assert.EndsWith(";Database=orders", cluster.ConnectionString, StringComparison.Ordinal);
        Assert.Equal("orders", await primary.ExecuteScalarAsync<string>("SELECT current_database()"));
        Assert.Equal("7MB", await primary.ExecuteScalarAsync<string>("SHOW work_mem"));
        Assert.Single(cluster.Nodes);
    }

    [Fact]
    public async Task Invalid_options_are_reported_together_before_anything_starts()
    {
        var options = new PgClusterOptions { Replicas = -1, Username = "", StartTimeout = TimeSpan.Zero };

        var error = await Assert.ThrowsAsync<ArgumentException>(() => PgCluster.StartAsync(options));

        Assert.Contains("Replicas", error.Message, StringComparison.Ordinal);
        Assert.Contains("Username", error.Message, StringComparison.Ordinal);
        Assert.Contains("StartTimeout", error.Message, StringComparison.Ordinal);
    }
}
