using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PgHa.Agent.Configuration;
using PgHa.Agent.Dcs;
using PgHa.Agent.Dcs.Etcd;
using PgHa.Agent.Fencing;
using PgHa.Agent.Ha;
using PgHa.Agent.Postgres;
using PgHa.Agent.Rest;

namespace PgHa.Agent.Hosting;

/// <summary>The agent process: configuration, the HA loop and the REST API in one generic host.</summary>
internal static class AgentHost
{
    /// <summary>The configuration section the agent reads (<c>PgHa:Agent</c> in JSON, <c>PgHa__Agent__Name</c> in the environment, <c>--PgHa:Agent:Name=</c> on the command line).</summary>
    public const string Section = "PgHa:Agent";

    public static async Task<int> RunAsync(string[] args)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        AddConfigFile(builder.Configuration, args);
        var options = Bind(builder.Configuration);
        var errors = AgentOptionsValidator.Validate(options);
        if (errors.Count > 0)
        {
            await Console.Error.WriteLineAsync("pgha-agent: invalid configuration:\n  - " + string.Join("\n  - ", errors)).ConfigureAwait(false);
            return 2;
        }

        builder.Logging.AddSimpleConsole(c => { c.SingleLine = true; c.TimestampFormat = "HH:mm:ss.fff "; });
        AgentOptionsValidator.TryParseAddress(options.RestListen, out var restHost, out var restPort);
        if (options.RestUsesTls())
            builder.WebHost.UseKestrelHttpsConfiguration(); // the slim builder leaves HTTPS out unless asked
        builder.WebHost.UseKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = RestGuard.DrainBytes;
            k.Listen(System.Net.IPAddress.Parse(restHost == "localhost" ? "127.0.0.1" : restHost), restPort, listen => RestTls.Configure(listen, options));
        });
        AddServices(builder.Services, options);
        var app = builder.Build();
        if (!await UniqueNameCheck.IsUniqueAsync(app.Services, CancellationToken.None).ConfigureAwait(false))
        {
            await app.DisposeAsync().ConfigureAwait(false); // flushes the log line saying why
            return UniqueNameCheck.ExitCode;
        }

        RestGuard.Use(app);
        HealthEndpoints.Map(app);
        ClusterEndpoints.Map(app);
        ActionEndpoints.Map(app);
        await app.RunAsync().ConfigureAwait(false);
        return 0;
    }

    /// <summary>Reads the settings: <c>appsettings.json</c>, then <c>--config &lt;file&gt;</c>, then the environment, then the command line.</summary>
    public static AgentOptions Bind(IConfiguration configuration)
    {
        var options = new AgentOptions();
        var section = configuration.GetSection(Section);
        section.Bind(options);
        // "a,b,c" in one value (handy in an environment variable or on the command line) is a list too.
        if (section["EtcdEndpoints"] is { Length: > 0 } joined)
            options.EtcdEndpoints = [joined];
        options.EtcdEndpoints = options.EtcdEndpoints.SelectMany(e => e.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
        return options;
    }

    /// <summary><c>--config path.json</c> adds a JSON file below the environment and command line, which still override it.</summary>
    public static void AddConfigFile(ConfigurationManager configuration, string[] args)
    {
        var index = Array.IndexOf(args, "--config");
        if (index < 0 || index + 1 >= args.Length)
            return;
        var sources = configuration.Sources.ToList();
        configuration.Sources.Clear();
        foreach (var source in sources)
        {
            if (source is Microsoft.Extensions.Configuration.EnvironmentVariables.EnvironmentVariablesConfigurationSource)
                configuration.AddJsonFile(Path.GetFullPath(args[index + 1]), optional: false);
            configuration.Sources.Add(source);
        }
    }

    /// <summary>
    /// The agent's etcd client. The retry budget is shared among the endpoints, so a dead member costs only its share
    /// (with one endpoint a request gets the whole budget); <paramref name="requestTimeout"/> overrides it (ctl: an operator waits longer).
    /// </summary>
    public static EtcdClient CreateEtcdClient(AgentOptions options, ILogger logger, TimeSpan? requestTimeout = null) => new(new EtcdClientOptions
    {
        Endpoints = options.EtcdEndpoints.Select(e => new Uri(e)).ToList(),
        Username = options.EtcdUsername,
        Password = options.EtcdPassword,
        RequestTimeout = requestTimeout ?? TimeSpan.FromTicks(Math.Max(options.RetryTimeout.Ticks / Math.Max(1, options.EtcdEndpoints.Count), TimeSpan.FromMilliseconds(500).Ticks)),
    }, logger);

    private static void AddServices(IServiceCollection services, AgentOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(sp => CreateEtcdClient(options, sp.GetRequiredService<ILogger<EtcdClient>>()));
        services.AddSingleton(sp => new EtcdDcs(sp.GetRequiredService<EtcdClient>(), new DcsKeys(options.Namespace, options.Scope), options.Name, options.Ttl, sp.GetRequiredService<ILogger<EtcdDcs>>()));
        services.AddSingleton(new PostgresController(options));
        services.AddSingleton(sp =>
        {
            var fence = new Fence(options.DataDirectory, options.FenceAcknowledgeTimeout, sp.GetRequiredService<ILogger<Fence>>());
            fence.Start(); // warm: the first arm must not wait for a process to start
            return fence;
        });
        services.AddSingleton(new AgentState(options.Name));
        services.AddSingleton<OperatorRequests>();
        services.AddSingleton<SyncStandbys>();
        services.AddSingleton<PeerCheck>();
        services.AddSingleton<ClusterViewCache>();
        services.AddSingleton<HaExecutor>();
        services.AddHostedService<HaLoop>();
        services.Configure<Microsoft.Extensions.Hosting.HostOptions>(h => h.ShutdownTimeout = TimeSpan.FromSeconds(30));
    }
}
