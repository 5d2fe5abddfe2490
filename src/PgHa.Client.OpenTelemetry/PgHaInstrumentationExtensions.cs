using PgHa.Client.Diagnostics;

namespace OpenTelemetry.Metrics;

/// <summary>Subscribes an OpenTelemetry meter provider to PgHa's instruments.</summary>
public static class PgHaMeterProviderBuilderExtensions
{
    /// <summary>
    /// Collects PgHa's meter (<c>PgHa.Client</c>: node health, replica lag, routing, failovers, retries, in-doubt
    /// commits; see docs/telemetry.md) and, unless <paramref name="includeNpgsql"/> is false, Npgsql's own meter
    /// (<c>Npgsql</c>: pool usage, command durations) next to it.
    /// </summary>
    public static MeterProviderBuilder AddPgHaInstrumentation(this MeterProviderBuilder builder, bool includeNpgsql = true)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddMeter(PgHaTelemetry.Name);
        return includeNpgsql ? builder.AddMeter(PgHaTelemetry.NpgsqlName) : builder;
    }
}
