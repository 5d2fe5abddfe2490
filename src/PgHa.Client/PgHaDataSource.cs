using System.Data.Common;
using Microsoft.Extensions.Logging;
using Npgsql;
using PgHa.Client.Diagnostics;
using PgHa.Client.Internal;
using PgHa.Client.Resilience.Internal;
using PgHa.Client.Routing.Internal;
using PgHa.Client.Topology;
using PgHa.Client.Topology.Internal;

namespace PgHa.Client;

/// <summary>
/// A <see cref="DbDataSource"/> over a PostgreSQL cluster. It keeps one Npgsql pool per node, discovers which node
/// is the primary and how far each replica lags from SQL, routes each connection by the role asked for, and runs
/// a watchdog that notices crashes, promotions and demotions. Connections are plain <see cref="NpgsqlConnection"/>s.
/// </summary>
public sealed partial class PgHaDataSource : DbDataSource
{
    private readonly ClusterNode[] _nodes;
    private readonly int[] _outstanding;
    private readonly RoutingRequest[] _requests;
    private readonly PgHaOptions _options;
    private readonly TopologyMonitor _monitor;
    private readonly UnitOfWorkRunner _units;
    private readonly TimeProvider _time;
    private readonly PgHaMetrics _metrics;
    private long _ticket;
    private int _disposed;

    internal PgHaDataSource(ClusterNode[] nodes, int[] outstanding, PgHaOptions options, TargetRole defaultRole,
        string connectionString, TimeProvider time, ILoggerFactory loggerFactory, PgHaMetrics metrics)
    {
        _metrics = metrics;
        _nodes = nodes;
        _outstanding = outstanding;
        _options = options;
        _time = time;
        DefaultRole = defaultRole;
        ConnectionString = connectionString;
        _requests = Enum.GetValues<TargetRole>().Select(role => RoutingRequest.From(role, options)).ToArray();
        var logger = loggerFactory.CreateLogger("PgHa.Client");
        _monitor = new TopologyMonitor(nodes, options, time, logger, metrics);
        metrics.Attach(() => _monitor.Current);
        _units = new UnitOfWorkRunner(this, options, time, logger, metrics);
        _monitor.Start();
    }

    /// <summary>Builds a data source with default options.</summary>
    public static PgHaDataSource Create(string connectionString) => new PgHaDataSourceBuilder(connectionString).Build();

    /// <summary>The connection string the data source was built from, without its password.</summary>
    public override string ConnectionString { get; }

    /// <summary>The role <see cref="OpenConnectionAsync(CancellationToken)"/> and <see cref="CreateConnection()"/> route to,
    /// from the connection string's <c>Target Session Attributes</c> (default: <see cref="TargetRole.Primary"/>).</summary>
    public TargetRole DefaultRole { get; }

    /// <summary>The latest topology snapshot. Reading it is one field read.</summary>
    public ClusterTopology Topology => _monitor.Current;

    /// <summary>Raised after a change of role, health, fencing or primary, on the watchdog's own task (never on the
    /// thread of a query). Lag values change every probe without raising it; read <see cref="Topology"/> for them.</summary>
    public event EventHandler<TopologyChangedEventArgs>? TopologyChanged
    {
        add => _monitor.TopologyChanged += value;
        remove => _monitor.TopologyChanged -= value;
    }

    /// <summary>Waits until a snapshot newer than <paramref name="version"/> is published, or <paramref name="timeout"/> passes.</summary>
    public Task WaitForTopologyChangeAsync(long version, TimeSpan timeout, CancellationToken cancellationToken = default)
        => _monitor.WaitForChangeAsync(version, timeout, cancellationToken);

    internal PgHaOptions Options => _options;

    internal UnitOfWorkRunner Units => _units;

    internal PgHaMetrics Metrics => _metrics;

    /// <summary>Each node's pools, for tests and diagnostics.</summary>
    internal IReadOnlyList<ClusterNode> ClusterNodes => _nodes;

    /// <inheritdoc />
    protected override DbConnection CreateDbConnection() => CreateConnection();

    /// <inheritdoc />
    protected override DbConnection OpenDbConnection() => OpenConnection();

    /// <inheritdoc />
    protected override async ValueTask<DbConnection> OpenDbConnectionAsync(CancellationToken cancellationToken = default)
        => await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    protected override async ValueTask DisposeAsyncCore()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await _units.DisposeAsync().ConfigureAwait(false);
        await _monitor.DisposeAsync().ConfigureAwait(false);
        foreach (var node in _nodes)
            await node.DisposeAsync().ConfigureAwait(false);
        _metrics.Dispose();
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
            DisposeAsyncCore().AsTask().GetAwaiter().GetResult();
        base.Dispose(disposing);
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
}
