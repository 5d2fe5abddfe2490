using PgHa.Testing.Internal;

namespace PgHa.Testing;

/// <summary>
/// A real PostgreSQL streaming-replication cluster on loopback: one primary and its replicas, each a separate
/// server with its own data directory, for tests that need real failover behaviour.
/// </summary>
/// <remarks>
/// Start one with <see cref="StartAsync"/> and dispose it when done. A cluster is also torn down when the process
/// exits, on Ctrl+C, and (by a detached reaper) when the test process is killed; a later start sweeps up whatever
/// a crashed run still left behind.
/// </remarks>
public sealed partial class PgCluster
{
    private readonly ClusterContext _context;
    private readonly IReadOnlyList<PgNode> _nodes;

    private PgCluster(ClusterContext context, IReadOnlyList<PgNode> nodes)
    {
        _context = context;
        _nodes = nodes;
    }

    /// <summary>Gets every node: the initial primary first, then the replicas (<c>node1</c>, <c>node2</c>, ...).</summary>
    public IReadOnlyList<PgNode> Nodes => _nodes;

    /// <summary>Gets the node that was primary when the cluster started; after a failover it may no longer be.</summary>
    public PgNode InitialPrimary => _nodes[0];

    /// <summary>Gets an Npgsql connection string listing every node, the initial primary first:
    /// <c>Host=127.0.0.1:p1,127.0.0.1:p2,...;Username=..;Database=..[;Password=..]</c>.</summary>
    public string ConnectionString => ConnectionStrings.ForEndpoints(_nodes.Select(n => n.Endpoint), _context);

    /// <summary>Gets the directory holding every node's data directory and log; deleted on dispose.</summary>
    public string RootDirectory => _context.RootDirectory;

    internal ClusterContext Context => _context;

    /// <summary>Builds a connection string, shaped like <see cref="ConnectionString"/>, for only the given nodes.</summary>
    /// <param name="nodes">Nodes of this cluster, in the order they should appear in <c>Host</c>.</param>
    /// <returns>The connection string.</returns>
    public string ConnectionStringFor(params PgNode[] nodes)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        if (nodes.Length == 0)
            throw new ArgumentException("Name at least one node.", nameof(nodes));
        var stranger = nodes.FirstOrDefault(n => !_nodes.Contains(n));
        if (stranger is not null)
            throw new ArgumentException($"{stranger} does not belong to this cluster.", nameof(nodes));
        return ConnectionStrings.ForEndpoints(nodes.Select(n => n.Endpoint), _context);
    }

    /// <summary>Asks every running node whether it is in recovery and returns the one that is not.</summary>
    /// <param name="ct">Cancels the probes.</param>
    /// <returns>The only node that accepts writes.</returns>
    /// <exception cref="PgHarnessException">No running node, or more than one, accepts writes.</exception>
    public async Task<PgNode> FindPrimaryAsync(CancellationToken ct = default)
    {
        var probes = await Task.WhenAll(
            _nodes.Where(n => n.IsRunning).Select(async n => (Node: n, State: await n.ProbeRoleAsync(ct))));
        var primaries = probes.Where(p => p.State == "primary").Select(p => p.Node).ToList();
        if (primaries.Count == 1)
            return primaries[0];

        var states = string.Join(", ", _nodes.Select(n =>
            $"{n}: {probes.Where(p => p.Node == n).Select(p => p.State).FirstOrDefault() ?? "not running"}"));
        throw new PgHarnessException($"Expected exactly one primary but found {primaries.Count} ({states}).");
    }
}
