using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Xunit;
using static PgHa.Client.IntegrationTests.ClusterHelpers;

namespace PgHa.Client.Integrations.Tests.Telemetry;

[Collection(SharedClusterCollection.Name)]
public sealed class OpenTelemetryInstrumentationTests(SharedCluster shared)
{
    [Fact]
    public async Task AddPgHaInstrumentation_collects_pgha_and_npgsql_metrics_and_spans()
    {
        var metrics = new List<Metric>();
        var spans = new List<System.Diagnostics.Activity>();
        using var meterProvider = Sdk.CreateMeterProviderBuilder().AddPgHaInstrumentation()
            .AddReader(new BaseExportingMetricReader(new Collect<Metric>(metrics))).Build();
        using var tracerProvider = Sdk.CreateTracerProviderBuilder().AddPgHaInstrumentation()
            .AddProcessor(new SimpleActivityExportProcessor(new Collect<System.Diagnostics.Activity>(spans))).Build();

        var builder = new PgHaDataSourceBuilder(shared.Cluster.ConnectionString);
        builder.Options.ClusterName = "otel";
        await using (var dataSource = builder.Build())
        {
            await WaitForDiscoveryAsync(dataSource);
            await dataSource.ExecuteReadAsync(async (c, ct) =>
            {
                await using var command = new Npgsql.NpgsqlCommand("SELECT 1", c);
                return await command.ExecuteScalarAsync(ct);
            });
            meterProvider.ForceFlush();
        }

        lock (metrics)
        {
            var pgha = metrics.Where(m => m.MeterName == "PgHa.Client").Select(m => m.Name).ToHashSet();
            Assert.Contains("pgha.client.node.up", pgha);
            Assert.Contains("pgha.client.replica.lag", pgha);
            Assert.Contains("pgha.client.connections.routed", pgha);
            Assert.Contains(metrics, m => m.MeterName == "Npgsql");
        }

        lock (spans)
        {
            var unit = Assert.Single(spans, s => s.OperationName == "pgha.unit_of_work.read" && Equals(s.GetTagItem("pgha.cluster"), "otel"));
            Assert.Contains(spans, s => s.Source.Name == "Npgsql" && s.ParentSpanId == unit.SpanId);
        }
    }

    private sealed class Collect<T>(List<T> into) : BaseExporter<T>
        where T : class
    {
        public override ExportResult Export(in Batch<T> batch)
        {
            lock (into)
            {
                foreach (var item in batch)
                    into.Add(item);
            }

            return ExportResult.Success;
        }
    }
}
