using Microsoft.Extensions.Diagnostics.HealthChecks;
using PgHa.Client;
using PgHa.Client.DependencyInjection;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary><c>AddHealthChecks().AddPgHa()</c>: a health check over the registered <see cref="PgHaDataSource"/>'s topology.</summary>
public static class PgHaHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds a check named <paramref name="name"/>: Healthy with a primary and routable replicas, Degraded when reads
    /// fall back to the primary or a node is down, <paramref name="failureStatus"/> (default Unhealthy) with no primary.
    /// It reads the watchdog's last snapshot and sends no query.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="name">The check's name.</param>
    /// <param name="serviceKey">The key of an <c>AddKeyedPgHa</c> registration, or <see langword="null"/> for <c>AddPgHa</c>'s.</param>
    /// <param name="failureStatus">What "no primary" reports.</param>
    /// <param name="tags">Tags to filter checks by (e.g. <c>"ready"</c>).</param>
    public static IHealthChecksBuilder AddPgHa(this IHealthChecksBuilder builder, string name = "pgha", object? serviceKey = null,
        HealthStatus? failureStatus = null, IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Add(new HealthCheckRegistration(
            name,
            sp => new PgHaHealthCheck(serviceKey is null ? sp.GetRequiredService<PgHaDataSource>() : sp.GetRequiredKeyedService<PgHaDataSource>(serviceKey)),
            failureStatus,
            tags));
    }
}
