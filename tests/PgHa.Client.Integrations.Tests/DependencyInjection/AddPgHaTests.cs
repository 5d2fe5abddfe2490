using System.Data.Common;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Npgsql;
using PgHa.Client.Diagnostics;
using Xunit;
using static PgHa.Client.IntegrationTests.ClusterHelpers;

namespace PgHa.Client.Integrations.Tests.DependencyInjection;

[Collection(SharedClusterCollection.Name)]
public sealed class AddPgHaTests(SharedCluster shared)
{
    [Fact]
    public async Task Binds_a_section_with_both_duration_styles_and_serves_connections()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["TestPgHa:ConnectionString"] = shared.Cluster.ConnectionString,
            ["TestPgHa:ClusterName"] = "bound",
            ["TestPgHa:MaxReplicaLag"] = "2s",
            ["TestPgHa:ProbeInterval"] = "00:00:00.5",
            ["TestPgHa:FailoverProbeInterval"] = "50ms",
            ["TestPgHa:ReplicaFallback"] = "throw",
            ["TestPgHa:MaxReplicaLagBytes"] = "1048576",
        });
        builder.Services.AddPgHa(builder.Configuration.GetSection("TestPgHa"), o => o.RetryBudget = TimeSpan.FromSeconds(20));
        using var host = builder.Build();
        await host.StartAsync();

        var dataSource = host.Services.GetRequiredService<PgHaDataSource>();
        Assert.Same(dataSource, host.Services.GetRequiredService<DbDataSource>());
        var o = dataSource.Options;
        Assert.Equal(("bound", TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(50)), (o.ClusterName, o.MaxReplicaLag, o.ProbeInterval, o.FailoverProbeInterval));
        Assert.Equal((ReplicaFallback.Throw, 1048576L, TimeSpan.FromSeconds(20)), (o.ReplicaFallback, o.MaxReplicaLagBytes!.Value, o.RetryBudget));

        await WaitForDiscoveryAsync(dataSource);
        await using (var scope = host.Services.CreateAsyncScope())
        {
            var connection = scope.ServiceProvider.GetRequiredService<NpgsqlConnection>();
            await connection.OpenAsync();
            Assert.Equal(shared.Cluster.Nodes[0].Port, await ServerPortAsync(connection));
            Assert.Same(scope.ServiceProvider.GetRequiredService<PgHaSession>(), scope.ServiceProvider.GetRequiredService<PgHaSession>());
        }

        await host.StopAsync();
    }

    [Fact]
    public async Task A_bad_section_fails_the_host_at_start_with_every_problem_in_one_message()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["TestPgHa:MaxReplicaLagg"] = "2s",
            ["TestPgHa:ProbeInterval"] = "2 seconds",
            ["TestPgHa:ReplicaFallback"] = "1",
            ["TestPgHa:FailedProbesBeforeDown"] = "0",
        });
        builder.Services.AddPgHa(builder.Configuration.GetSection("TestPgHa"));
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("TestPgHa:MaxReplicaLagg is not a PgHa option", error.Message);
        Assert.Contains("TestPgHa:ProbeInterval = \"2 seconds\" is not a duration", error.Message);
        Assert.Contains("TestPgHa:ReplicaFallback = \"1\" is not one of Primary, Throw", error.Message);
        Assert.Contains("ConnectionString is required", error.Message);
        Assert.Contains("FailedProbesBeforeDown must be at least 1", error.Message);
    }

    [Fact]
    public void An_unparsable_host_list_is_reported_at_validation()
    {
        var services = new ServiceCollection().AddPgHa("Host=a:notaport;Username=x");
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<PgHaDataSource>());
        Assert.Contains("ConnectionString is invalid", error.Message);
    }

    [Fact]
    public async Task Keyed_registrations_are_separate_clusters_and_are_disposed_with_the_container()
    {
        var services = new ServiceCollection()
            .AddKeyedPgHa("orders", shared.Cluster.ConnectionString, o => o.ClusterName = "orders")
            .AddKeyedPgHa("audit", shared.Cluster.ConnectionStringFor(shared.Cluster.Nodes[0]), o => o.ClusterName = "audit");
        var provider = services.BuildServiceProvider();
        var orders = provider.GetRequiredKeyedService<PgHaDataSource>("orders");
        var audit = provider.GetRequiredKeyedService<PgHaDataSource>("audit");

        Assert.NotSame(orders, audit);
        Assert.Same(orders, provider.GetRequiredKeyedService<DbDataSource>("orders"));
        Assert.Equal(3, orders.Topology.Nodes.Count);
        Assert.Single(audit.Topology.Nodes);
        Assert.Throws<InvalidOperationException>(() => services.AddKeyedPgHa("orders", shared.Cluster.ConnectionString));

        await provider.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await orders.OpenConnectionAsync());
    }

    [Fact]
    public async Task Instruments_come_from_the_containers_meter_factory()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddPgHa(shared.Cluster.ConnectionString, o => o.ClusterName = "metered");
        using var host = builder.Build();
        var factory = host.Services.GetRequiredService<IMeterFactory>();
        var scopes = new List<object?>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name == PgHaTelemetry.Name && instrument.Name == "pgha.client.node.up")
                    lock (scopes)
                        scopes.Add(instrument.Meter.Scope);
            },
        };
        listener.Start();

        var dataSource = host.Services.GetRequiredService<PgHaDataSource>();
        await WaitForDiscoveryAsync(dataSource);

        lock (scopes)
            Assert.Contains(factory, scopes);
    }
}
