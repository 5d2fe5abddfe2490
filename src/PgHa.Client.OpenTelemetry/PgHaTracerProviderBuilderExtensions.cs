using PgHa.Client.Diagnostics;

namespace OpenTelemetry.Trace;

/// <summary>Subscribes an OpenTelemetry tracer provider to PgHa's spans.</summary>
public static class PgHaTracerProviderBuilderExtensions
{
    /// <summary>
    /// Collects PgHa's spans (<c>PgHa.Client</c>: <c>pgha.failover</c>, <c>pgha.unit_of_work.write</c>/<c>read</c> with
    /// a <c>pgha.retry</c> event per retry) and, unless <paramref name="includeNpgsql"/> is false, Npgsql's own
    /// (<c>Npgsql</c>: one span per command) under them.
    /// </summary>
    public static TracerProviderBuilder AddPgHaInstrumentation(this TracerProviderBuilder builder, bool includeNpgsql = true)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddSource(PgHaTelemetry.Name);
        return includeNpgsql ? builder.AddSource(PgHaTelemetry.NpgsqlName) : builder;
    }
}
