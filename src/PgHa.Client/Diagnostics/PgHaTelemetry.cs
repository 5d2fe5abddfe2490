using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace PgHa.Client.Diagnostics;

/// <summary>
/// The names PgHa's traces and metrics are published under: subscribe to them with OpenTelemetry
/// (<c>AddSource(PgHaTelemetry.Name)</c>, <c>AddMeter(PgHaTelemetry.Name)</c>, or <c>AddPgHaInstrumentation()</c>
/// from PgHa.Client.OpenTelemetry) or a listener. Every instrument is listed in <c>docs/telemetry.md</c>.
/// </summary>
public static class PgHaTelemetry
{
    /// <summary>The name of both the <see cref="ActivitySource"/> and the <see cref="Meter"/>: <c>"PgHa.Client"</c>.</summary>
    public const string Name = "PgHa.Client";

    /// <summary>
    /// The name of Npgsql's own <see cref="Meter"/> and <see cref="ActivitySource"/>: <c>"Npgsql"</c> (pool and command
    /// metrics, a span per command). PgHa's per-node pools publish there like any Npgsql data source, named
    /// <c>{ClusterName}/{host}:{port}</c>.
    /// </summary>
    public const string NpgsqlName = "Npgsql";

    internal static readonly string? Version = typeof(PgHaTelemetry).Assembly.GetName().Version?.ToString();

    internal static readonly ActivitySource Source = new(Name, Version);

    /// <summary>The meter used by data sources built without an <see cref="IMeterFactory"/>: one for the process, never disposed.</summary>
    internal static readonly Meter DefaultMeter = new(Name, Version);
}
