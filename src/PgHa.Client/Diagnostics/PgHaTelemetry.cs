using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace PgHa.Client.Diagnostics;

/// <summary>
/// The names PgHa's traces and metrics are published under: subscribe to them with OpenTelemetry
/// (<c>AddSource(PgHaTelemetry.Name)</c>, <c>AddMeter(PgHaTelemetry.Name)</c>) or a listener.
/// </summary>
public static class PgHaTelemetry
{
    /// <summary>The name of both the <see cref="ActivitySource"/> and the <see cref="Meter"/>: <c>"PgHa.Client"</c>.</summary>
    public const string Name = "PgHa.Client";

    internal static readonly ActivitySource Source = new(Name, typeof(PgHaTelemetry).Assembly.GetName().Version?.ToString());

    internal static readonly Meter Meter = new(Name, typeof(PgHaTelemetry).Assembly.GetName().Version?.ToString());

    /// <summary>Units of work run again, tagged <c>pgha.retry.reason</c> (a <see cref="Resilience.RetryReason"/>) and <c>pgha.cluster</c>.</summary>
    internal static readonly Counter<long> Retries = Meter.CreateCounter<long>("pgha.client.unit_of_work.retries", "{retry}", "Units of work run again after a failure.");

    /// <summary>COMMITs cut off in flight, tagged <c>pgha.commit.resolution</c> (committed, not_committed, unknown) and <c>pgha.cluster</c>.</summary>
    internal static readonly Counter<long> InDoubtCommits = Meter.CreateCounter<long>("pgha.client.commit.in_doubt", "{commit}", "COMMITs whose answer never came, by how they were resolved.");
}
