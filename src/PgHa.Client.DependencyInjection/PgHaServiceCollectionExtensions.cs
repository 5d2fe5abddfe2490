using System.Data.Common;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using PgHa.Client;
using PgHa.Client.DependencyInjection;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Registers a <see cref="PgHaDataSource"/> (also as <see cref="DbDataSource"/>), a scoped <see cref="PgHaSession"/>
/// for read-your-writes, and transient <see cref="NpgsqlConnection"/>/<see cref="DbConnection"/> factories. The data
/// source uses the container's <see cref="ILoggerFactory"/>, <see cref="IMeterFactory"/> and <see cref="TimeProvider"/>,
/// is built on first use, and is disposed with the container. Its options are validated when the host starts, with
/// every problem in one message.
/// </summary>
public static class PgHaServiceCollectionExtensions
{
    /// <summary>Registers a data source for the cluster the connection string lists.</summary>
    public static IServiceCollection AddPgHa(this IServiceCollection services, string connectionString, Action<PgHaOptions>? configure = null)
        => services.AddPgHaCore(serviceKey: null, o => o.ConnectionString = connectionString, configure, configureBuilder: null);

    /// <summary>Registers a data source bound from a configuration section (see <see cref="PgHaDataSourceOptions"/>); <paramref name="configure"/> runs after binding.</summary>
    public static IServiceCollection AddPgHa(this IServiceCollection services, IConfiguration section, Action<PgHaOptions>? configure = null)
        => services.AddPgHaCore(serviceKey: null, BindFrom(section), configure, configureBuilder: null);

    /// <summary>Registers a data source with full control of its builder (type mappings, password providers) and the container at hand.</summary>
    public static IServiceCollection AddPgHa(this IServiceCollection services, IConfiguration section, Action<IServiceProvider, PgHaDataSourceBuilder> configureBuilder)
        => services.AddPgHaCore(serviceKey: null, BindFrom(section), configure: null, configureBuilder);

    /// <summary>Registers a second (third...) cluster under a key: resolve it with <c>[FromKeyedServices(key)]</c> or <c>GetRequiredKeyedService&lt;PgHaDataSource&gt;(key)</c>.</summary>
    public static IServiceCollection AddKeyedPgHa(this IServiceCollection services, object serviceKey, string connectionString, Action<PgHaOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(serviceKey);
        return services.AddPgHaCore(serviceKey, o => o.ConnectionString = connectionString, configure, configureBuilder: null);
    }

    /// <summary>Registers a keyed data source bound from a configuration section.</summary>
    public static IServiceCollection AddKeyedPgHa(this IServiceCollection services, object serviceKey, IConfiguration section, Action<PgHaOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(serviceKey);
        return services.AddPgHaCore(serviceKey, BindFrom(section), configure, configureBuilder: null);
    }

    /// <summary>The options name a registration's <see cref="PgHaDataSourceOptions"/> are kept under.</summary>
    public static string OptionsNameFor(object? serviceKey) => serviceKey is null ? Options.Options.DefaultName : $"PgHa:{serviceKey}";

    private static Action<PgHaDataSourceOptions> BindFrom(IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        return o => PgHaConfigurationBinder.Bind(section, o);
    }

    private static IServiceCollection AddPgHaCore(this IServiceCollection services, object? serviceKey, Action<PgHaDataSourceOptions> source,
        Action<PgHaOptions>? configure, Action<IServiceProvider, PgHaDataSourceBuilder>? configureBuilder)
    {
        ArgumentNullException.ThrowIfNull(services);
        var name = OptionsNameFor(serviceKey);
        if (services.Any(d => d.ServiceType == typeof(PgHaDataSource) && Equals(d.ServiceKey, serviceKey)))
            throw new InvalidOperationException(serviceKey is null
                ? "AddPgHa was called twice. Register further clusters with AddKeyedPgHa(key, ...)."
                : $"AddKeyedPgHa was called twice for the key \"{serviceKey}\".");

        services.AddOptions<PgHaDataSourceOptions>(name)
            .Configure(o =>
            {
                source(o);
                configure?.Invoke(o.Options);
                if (configureBuilder is not null)
                    o.BuilderSteps.Add(configureBuilder);
            })
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PgHaDataSourceOptions>, PgHaDataSourceOptionsValidator>());

        if (serviceKey is null)
        {
            services.AddSingleton(sp => Build(sp, name));
            services.AddSingleton<DbDataSource>(sp => sp.GetRequiredService<PgHaDataSource>());
            services.AddScoped(sp => sp.GetRequiredService<PgHaDataSource>().CreateSession());
            services.AddTransient(sp => sp.GetRequiredService<PgHaDataSource>().CreateConnection());
            services.AddTransient<DbConnection>(sp => sp.GetRequiredService<NpgsqlConnection>());
        }
        else
        {
            services.AddKeyedSingleton(serviceKey, (sp, _) => Build(sp, name));
            services.AddKeyedSingleton<DbDataSource>(serviceKey, (sp, key) => sp.GetRequiredKeyedService<PgHaDataSource>(key));
            services.AddKeyedScoped(serviceKey, (sp, key) => sp.GetRequiredKeyedService<PgHaDataSource>(key).CreateSession());
            services.AddKeyedTransient(serviceKey, (sp, key) => sp.GetRequiredKeyedService<PgHaDataSource>(key).CreateConnection());
            services.AddKeyedTransient<DbConnection>(serviceKey, (sp, key) => sp.GetRequiredKeyedService<NpgsqlConnection>(key));
        }

        return services;
    }

    private static PgHaDataSource Build(IServiceProvider services, string name)
    {
        // Get validates: a misconfiguration surfaces here too when the host did not validate at start.
        var options = services.GetRequiredService<IOptionsMonitor<PgHaDataSourceOptions>>().Get(name);
        var builder = new PgHaDataSourceBuilder(options.ConnectionString!, options.Options)
            .UseLoggerFactory(services.GetService<ILoggerFactory>())
            .UseMeterFactory(services.GetService<IMeterFactory>())
            .UseTimeProvider(services.GetService<TimeProvider>() ?? TimeProvider.System);
        foreach (var step in options.BuilderSteps)
            step(services, builder);
        return builder.Build();
    }
}
