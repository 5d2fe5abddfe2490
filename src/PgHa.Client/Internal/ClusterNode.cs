using System.Data;
using Npgsql;
using PgHa.Client.Topology;

namespace PgHa.Client.Internal;

/// <summary>One node's runtime parts: the Npgsql pool the application's connections come from, the unpooled data
/// source its monitoring connection comes from, and the connections open on it now, so that they can all be released
/// the moment the watchdog declares the node lost.</summary>
internal sealed class ClusterNode : IAsyncDisposable
{
    private readonly int[] _outstanding;
    private readonly StateChangeEventHandler _trackOpen;
    private CancellationTokenSource _loss = new();

    public ClusterNode(int index, NodeEndPoint endPoint, NpgsqlDataSource pool, NpgsqlDataSource monitorSource, int[] outstanding, TimeProvider time)
    {
        Connections = new OpenConnections(time);
        Index = index;
        EndPoint = endPoint;
        Pool = pool;
        MonitorSource = monitorSource;
        _outstanding = outstanding;
        _trackOpen = TrackOpen;
    }

    public int Index { get; }

    public NodeEndPoint EndPoint { get; }

    public NpgsqlDataSource Pool { get; }

    public NpgsqlDataSource MonitorSource { get; }

    /// <summary>The application's connections open on this node now.</summary>
    public OpenConnections Connections { get; }

    /// <summary>
    /// The current loss generation: cancelled when the node is next declared lost, then replaced by a fresh one. Read
    /// it <em>before</em> checking the topology snapshot: a loss published after that check cancels it, and one
    /// published before it shows in the snapshot.
    /// </summary>
    public CancellationTokenSource Loss => Volatile.Read(ref _loss);

    /// <summary>An unopened connection to this node, counted for least-outstanding balancing and released with the node while open.</summary>
    public NpgsqlConnection CreateConnection()
    {
        var connection = Pool.CreateConnection();
        connection.StateChange += _trackOpen;
        return connection;
    }

    /// <summary>Closes idle pooled connections and marks busy ones to be closed when returned: after a role change or a crash, none may be reused.</summary>
    public void EvictPooledConnections() => Pool.Clear();

    /// <summary>
    /// The node was declared lost (down, fenced, or superseded by another primary): no pooled connection is reused, the
    /// loss generation is cancelled (opens in progress give up), and every connection open on the node has its socket
    /// shut down, so each statement, COMMIT or lookup in flight there fails at once as if the server had closed it,
    /// instead of waiting on a node that may never answer. Nothing is sent to the server: no cancel request reaches a
    /// COMMIT. Returns how many connections were released.
    /// </summary>
    public int ReleaseInFlight()
    {
        // Clear first: a connector returned after this is closed, never handed out again, so every connection opened
        // from here on is a new physical one, raced against the new loss generation.
        Pool.Clear();
        var lost = Interlocked.Exchange(ref _loss, new CancellationTokenSource());
        // Callbacks run on the thread pool: the watchdog's own task never runs an opener's continuation.
        _ = lost.CancelAsync();
        var released = 0;
        foreach (var connection in Connections.Snapshot())
        {
            if (NpgsqlSockets.Shutdown(connection))
                released++;
        }

        return released;
    }

    // Npgsql raises StateChange with cached event args on every Open <-> Closed flip (a broken connection counts as closed).
    private void TrackOpen(object sender, StateChangeEventArgs e)
    {
        var connection = (NpgsqlConnection)sender;
        if (e.CurrentState == ConnectionState.Open)
        {
            Interlocked.Increment(ref _outstanding[Index]);
            Connections.Opened(connection);
        }
        else if (e.OriginalState == ConnectionState.Open)
        {
            Interlocked.Decrement(ref _outstanding[Index]);
            Connections.Closed(connection);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Pool.DisposeAsync().ConfigureAwait(false);
        await MonitorSource.DisposeAsync().ConfigureAwait(false);
    }

    public override string ToString() => EndPoint.ToString();
}
