using System.Data.Common;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using PgHa.Client.Internal;
using PgHa.Client.Topology;

namespace PgHa.Client;

/// <summary>
/// Builds a <see cref="PgHaDataSource"/> from an Npgsql connection string that lists every node
/// (<c>Host=h1:5432,h2:5433,h3:5434</c>). All other connection settings pass through to every node.
/// </summary>
public sealed class PgHaDataSourceBuilder
{
    private readonly List<Action<NpgsqlDataSourceBuilder>> _configureDataSource = [];
    private readonly bool _loadBalanceHostsSetExplicitly;
    private readonly bool _tcpKeepAliveSetExplicitly;
    private ILoggerFactory _loggerFactory = NullLoggerFactory.Instance;
    private TimeProvider _timeProvider = TimeProvider.System;
    private IMeterFactory? _meterFactory;

    /// <summary>Starts a builder from an Npgsql connection string.</summary>
    /// <exception cref="ArgumentException">The connection string is empty or malformed.</exception>
    public PgHaDataSourceBuilder(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ConnectionStringBuilder = new NpgsqlConnectionStringBuilder(connectionString);
        var raw = new DbConnectionStringBuilder { ConnectionString = connectionString };
        var keys = raw.Keys.Cast<string>().Select(k => k.Replace(" ", "", StringComparison.Ordinal).ToUpperInvariant()).ToHashSet();
        _loadBalanceHostsSetExplicitly = keys.Contains("LOADBALANCEHOSTS");
        _tcpKeepAliveSetExplicitly = keys.Overlaps(["TCPKEEPALIVE", "TCPKEEPALIVETIME", "TCPKEEPALIVEINTERVAL"]);
    }

    /// <summary>The connection settings shared by every node; <c>Host</c> holds the node list.</summary>
    public NpgsqlConnectionStringBuilder ConnectionStringBuilder { get; }

    /// <summary>Starts a builder from a connection string and a copy of <paramref name="options"/>.</summary>
    internal PgHaDataSourceBuilder(string connectionString, PgHaOptions options)
        : this(connectionString) => Options = options.Clone();

    /// <summary>The high-availability settings.</summary>
    public PgHaOptions Options { get; } = new();

    /// <summary>Adds a step applied to each node's <see cref="NpgsqlDataSourceBuilder"/> (type mappings, SSL callbacks,
    /// password providers...). It runs twice per node: for the application pool and for the monitoring connection.</summary>
    public PgHaDataSourceBuilder ConfigureDataSource(Action<NpgsqlDataSourceBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        _configureDataSource.Add(configure);
        return this;
    }

    /// <summary>Logs through this factory (PgHa's category is <c>PgHa.Client</c>); Npgsql's own logging uses it too.</summary>
    public PgHaDataSourceBuilder UseLoggerFactory(ILoggerFactory? loggerFactory)
    {
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        return this;
    }

    /// <summary>
    /// Creates PgHa's meter (<c>PgHa.Client</c>) through this factory, as hosts expect (<c>AddPgHa</c> passes the
    /// container's). Without one, a process-wide meter of the same name is used.
    /// </summary>
    public PgHaDataSourceBuilder UseMeterFactory(IMeterFactory? meterFactory)
    {
        _meterFactory = meterFactory;
        return this;
    }

    /// <summary>Takes time from this provider instead of the system clock.</summary>
    public PgHaDataSourceBuilder UseTimeProvider(TimeProvider timeProvider)
    {
        _timeProvider = timeProvider ?? throw new ArgumentNullException(nameof(timeProvider));
        return this;
    }

    /// <summary>Validates the settings, creates one pool per node and starts the watchdog.</summary>
    /// <exception cref="ArgumentException">The host list or an option is invalid; the message lists every problem.</exception>
    /// <exception cref="NotSupportedException">The Npgsql loaded is not one PgHa supports (see the package's dependency range).</exception>
    public PgHaDataSource Build()
    {
        Internal.NpgsqlSockets.EnsureSupported();
        var options = Options.Clone();
        if (_loadBalanceHostsSetExplicitly && !ConnectionStringBuilder.LoadBalanceHosts)
            options.LoadBalancing = LoadBalancing.None;
        var errors = PgHaOptionsValidator.Validate(options);
        if (errors.Count > 0)
            throw new ArgumentException("Invalid PgHa options:" + Environment.NewLine + "- " + string.Join(Environment.NewLine + "- ", errors));

        var endPoints = HostList.Parse(ConnectionStringBuilder.Host, ConnectionStringBuilder.Port);
        var defaultRole = DefaultRoleOf(ConnectionStringBuilder.TargetSessionAttributes);
        var outstanding = new int[endPoints.Length];
        var nodes = new ClusterNode[endPoints.Length];
        for (var i = 0; i < endPoints.Length; i++)
            nodes[i] = new ClusterNode(i, endPoints[i], BuildPool(endPoints[i], options), BuildMonitorSource(endPoints[i], options), outstanding, _timeProvider);

        return new PgHaDataSource(nodes, outstanding, options, defaultRole, PublicConnectionString(), _timeProvider, _loggerFactory, new Diagnostics.PgHaMetrics(_meterFactory, options.ClusterName));
    }

    private NpgsqlDataSource BuildPool(NodeEndPoint endPoint, PgHaOptions options)
    {
        var builder = new NpgsqlDataSourceBuilder(NodeConnectionString(endPoint)) { Name = $"{options.ClusterName}/{endPoint}" };
        builder.UseLoggerFactory(_loggerFactory);
        foreach (var configure in _configureDataSource)
            configure(builder);
        return builder.Build();
    }

    private NpgsqlDataSource BuildMonitorSource(NodeEndPoint endPoint, PgHaOptions options)
    {
        var builder = new NpgsqlDataSourceBuilder(NodeConnectionString(endPoint)) { Name = $"{options.ClusterName}/{endPoint}/monitor" };
        foreach (var configure in _configureDataSource)
            configure(builder);
        var settings = builder.ConnectionStringBuilder;
        settings.Pooling = false;
        settings.Multiplexing = false;
        settings.KeepAlive = 0;
        // Probe deadlines are enforced with cancellation; these are backstops. Cancellation Timeout -1 drops a
        // timed-out probe's socket at once instead of waiting for a frozen server to acknowledge a cancel request.
        settings.Timeout = (int)Math.Ceiling(options.ProbeTimeout.TotalSeconds) + 1;
        settings.CommandTimeout = (int)Math.Ceiling(options.ProbeTimeout.TotalSeconds) + 1;
        settings.CancellationTimeout = -1;
        settings.ApplicationName = $"{settings.ApplicationName ?? "pgha"} (pgha monitor)";
        return builder.Build();
    }

    private string NodeConnectionString(NodeEndPoint endPoint)
    {
        var settings = new NpgsqlConnectionStringBuilder(ConnectionStringBuilder.ConnectionString)
        {
            Host = endPoint.Host,
            Port = endPoint.Port,
            TargetSessionAttributes = null,
            LoadBalanceHosts = false,
        };
        // A pooled socket that a NAT or load balancer dropped in silence would otherwise look alive until a query
        // hangs on it; keepalive also keeps such middleboxes from dropping it.
        if (!_tcpKeepAliveSetExplicitly)
        {
            settings.TcpKeepAliveTime = (int)PgHaDefaults.TcpKeepAliveTime.TotalSeconds;
            settings.TcpKeepAliveInterval = (int)PgHaDefaults.TcpKeepAliveInterval.TotalSeconds;
        }

        return settings.ConnectionString;
    }

    private string PublicConnectionString()
    {
        var settings = new NpgsqlConnectionStringBuilder(ConnectionStringBuilder.ConnectionString) { Password = null };
        return settings.ConnectionString;
    }

    internal static TargetRole DefaultRoleOf(string? targetSessionAttributes) => targetSessionAttributes?.Trim().ToLowerInvariant() switch
    {
        null or "" or "primary" or "read-write" or "prefer-primary" => TargetRole.Primary,
        "standby" or "read-only" => TargetRole.Replica,
        "prefer-standby" => TargetRole.PreferReplica,
        "any" => TargetRole.Any,
        var other => throw new ArgumentException($"Target Session Attributes '{other}' is not one of any, primary, standby, prefer-primary, prefer-standby, read-write, read-only."),
    };
}
