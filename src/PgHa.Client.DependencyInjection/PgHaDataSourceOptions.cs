using PgHa.Client;

namespace PgHa.Client.DependencyInjection;

/// <summary>
/// What <c>AddPgHa</c> builds a <see cref="PgHaDataSource"/> from: the Npgsql connection string listing every node,
/// and the high-availability settings. Bound from configuration as one flat section:
/// <code>
/// "PgHa": { "ConnectionString": "Host=db1,db2,db3;Username=app;Database=app", "MaxReplicaLag": "2s" }
/// </code>
/// Durations take <c>"00:00:02"</c> or <c>"2s"</c>, <c>"250ms"</c>, <c>"1.5m"</c>, <c>"1h"</c>.
/// </summary>
public sealed class PgHaDataSourceOptions
{
    /// <summary>The Npgsql connection string; <c>Host</c> lists every node. Required.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>The high-availability settings (every key of the section other than <c>ConnectionString</c>).</summary>
    public PgHaOptions Options { get; } = new();

    /// <summary>Steps applied to the builder (type mappings, password providers), with the container at hand.</summary>
    internal List<Action<IServiceProvider, PgHaDataSourceBuilder>> BuilderSteps { get; } = [];

    /// <summary>Problems met while binding configuration, reported with the validation errors at start.</summary>
    internal List<string> BindingErrors { get; } = [];
}
