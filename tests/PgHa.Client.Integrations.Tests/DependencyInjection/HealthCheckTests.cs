using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Xunit;
using static PgHa.Client.IntegrationTests.ClusterHelpers;

namespace PgHa.Client.Integrations.Tests.DependencyInjection;

public sealed class HealthCheckTests : OwnClusterTest
{
    [Fact]
    public async Task Reports_healthy_then_degraded_for_lagging_replicas_and_a_lost_node_then_unhealthy_without_a_primary()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddPgHa(Cluster.ConnectionString, o => o.MaxReplicaLag = TimeSpan.FromSeconds(1));
        services.AddHealthChecks().AddPgHa(tags: ["ready"]);
        await using var provider = services.BuildServiceProvider();
        var health = provider.GetRequiredService<HealthCheckService>();
        var dataSource = provider.GetRequiredService<PgHaDataSource>();
        await WaitForDiscoveryAsync(dataSource);

        var healthy = await CheckAsync();
        Assert.Equal(HealthStatus.Healthy, healthy.Status);
        Assert.Contains(Node2.Endpoint.ToString(), healthy.Description);
        Assert.Equal(2, healthy.Data["routable_replicas"]);

        await Node1.ExecuteAsync("CREATE TABLE ticks(at timestamptz)");
        await Node2.PauseReplayAsync();
        await Node3.PauseReplayAsync();
        using (var writing = new CancellationTokenSource())
        {
            var writer = WriteUntilAsync(writing.Token);
            var lagging = await EventuallyAsync(CheckAsync, r => r.Status == HealthStatus.Degraded, TimeSpan.FromSeconds(15));
            Assert.Contains("no replica within the lag bounds", lagging.Description);
            await writing.CancelAsync();
            await writer;
        }

        await Node2.ResumeReplayAsync();
        await Node3.ResumeReplayAsync();
        await EventuallyAsync(CheckAsync, r => r.Status == HealthStatus.Healthy);

        Node3.Kill();
        var lost = await EventuallyAsync(CheckAsync, r => r.Status == HealthStatus.Degraded);
        Assert.Contains($"not healthy ({Node3.Endpoint})", lost.Description);

        Node1.Kill();
        var down = await EventuallyAsync(CheckAsync, r => r.Status == HealthStatus.Unhealthy);
        Assert.StartsWith("no writable primary", down.Description);

        async Task<HealthReportEntry> CheckAsync() => (await health.CheckHealthAsync(r => r.Tags.Contains("ready"))).Entries["pgha"];
    }

    private async Task WriteUntilAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            await Node1.ExecuteAsync("INSERT INTO ticks VALUES (now())");
            await Task.Delay(50, CancellationToken.None);
        }
    }
}
