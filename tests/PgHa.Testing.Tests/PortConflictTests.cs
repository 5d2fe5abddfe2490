using System.Net;
using System.Net.Sockets;

namespace PgHa.Testing.Tests;

public sealed class PortConflictTests
{
    [Fact]
    public async Task Node_whose_port_is_taken_before_it_binds_moves_to_a_free_port()
    {
        await using var cluster = await TestClusters.StartAsync(replicas: 0);
        var node = cluster.InitialPrimary;
        var takenPort = node.Port;
        await node.StopAsync();
        var squatter = new TcpListener(IPAddress.Loopback, takenPort);
        squatter.Start();
        try
        {
            await PgCluster.StartOnFreePortAsync(node, CancellationToken.None);
        }
        finally
        {
            squatter.Stop();
        }

        Assert.NotEqual(takenPort, node.Port);
        Assert.Equal(node.Port, await node.ExecuteScalarAsync<int>("SELECT inet_server_port()"));
    }
}
