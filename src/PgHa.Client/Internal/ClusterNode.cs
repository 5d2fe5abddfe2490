using System.Data;
using Npgsql;
using PgHa.Client.Topology;

namespace PgHa.Client.Internal;

/// <summary>One node's runtime parts: the Npgsql pool the application's connections come from, and the
/// unpooled data source its monitoring connection comes from.</summary>
internal sealed class ClusterNode : IAsyncDisposable
{
    private readonly int[] _outstanding;
    private readonly StateChangeEventHandler _trackOutstanding;

    public ClusterNode(int index, NodeEndPoint endPoint, NpgsqlDataSource pool, NpgsqlDataSource monitorSource, int[] outstanding)
    {
        Index = index;
        EndPoint = endPoint;
        Pool = pool;
        MonitorSource = monitorSource;
        _outstanding = outstanding;
        _trackOutstanding = TrackOutstanding;
    }

    public int Index { get; }

    public NodeEndPoint EndPoint { get; }

    public NpgsqlDataSource Pool { get; }

    public NpgsqlDataSource MonitorSource { get; }

    /// <summary>An unopened connection to this node whose opens and closes are counted for least-outstanding balancing.</summary>
    public NpgsqlConnection CreateConnection()
    {
        var connection = Pool.CreateConnection();
        connection.StateChange += _trackOutstanding;
        return connection;
    }

    /// <summary>Closes idle pooled connections and marks busy ones to be closed when returned: after a role change or a crash, none may be reused.</summary>
    public void EvictPooledConnections() => Pool.Clear();

    // Npgsql raises StateChange with cached event args on every Open <-> Closed flip (a broken connection counts as closed).
    private void TrackOutstanding(object sender, StateChangeEventArgs e)
    {
        if (e.CurrentState == ConnectionState.Open)
            Interlocked.Increment(ref _outstanding[Index]);
        else if (e.OriginalState == ConnectionState.Open)
            Interlocked.Decrement(ref _outstanding[Index]);
    }

    public async ValueTask DisposeAsync()
    {
        await Pool.DisposeAsync().ConfigureAwait(false);
        await MonitorSource.DisposeAsync().ConfigureAwait(false);
    }

    public override string ToString() => EndPoint.ToString();
}
