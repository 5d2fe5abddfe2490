using System.Net.Sockets;
using Npgsql;
using PgHa.Client.Internal;
using Xunit;
using static PgHa.Client.IntegrationTests.ClusterHelpers;

namespace PgHa.Client.IntegrationTests;

/// <summary>TCP keepalive on every pooled and monitoring connection, so a socket a NAT dropped in silence dies, unless the user chose otherwise.</summary>
public sealed class KeepAliveTests : ClusterTestBase
{
    [Fact]
    public async Task Pooled_and_monitoring_connections_have_keepalive_on_by_default()
    {
        var ds = DataSource();
        await WaitForDiscoveryAsync(ds);

        await using var connection = await ds.OpenConnectionAsync();
        var socket = NpgsqlSockets.Of(connection)!;
        Assert.NotEqual(0, (int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive)!);
        Assert.Equal((int)PgHaDefaults.TcpKeepAliveTime.TotalSeconds, (int)socket.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveTime)!);
        Assert.Equal((int)PgHaDefaults.TcpKeepAliveInterval.TotalSeconds, (int)socket.GetSocketOption(SocketOptionLevel.Tcp, SocketOptionName.TcpKeepAliveInterval)!);
        var monitor = new NpgsqlConnectionStringBuilder(ds.ClusterNodes[0].MonitorSource.ConnectionString);
        Assert.Equal((int)PgHaDefaults.TcpKeepAliveTime.TotalSeconds, monitor.TcpKeepAliveTime);
    }

    [Fact]
    public async Task A_connection_string_that_sets_keepalive_is_left_as_it_is()
    {
        var ds = DataSource(connectionString: Cluster.ConnectionString + ";Tcp Keepalive=false");
        await WaitForDiscoveryAsync(ds);

        await using var connection = await ds.OpenConnectionAsync();
        Assert.Equal(0, (int)NpgsqlSockets.Of(connection)!.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive)!);
        Assert.Equal(0, new NpgsqlConnectionStringBuilder(ds.ClusterNodes[0].MonitorSource.ConnectionString).TcpKeepAliveTime);
    }
}
