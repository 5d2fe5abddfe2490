using PgHa.Testing.Internal;

namespace PgHa.Testing;

/// <summary>
/// One PostgreSQL server of a <see cref="PgCluster"/>, with the operations a failover test needs: start, stop,
/// crash, freeze, promote, repoint and rejoin.
/// </summary>
public sealed partial class PgNode
{
    private readonly ClusterContext _context;

    internal PgNode(string name, int port, ClusterContext context)
    {
        _context = context;
        Name = name;
        Port = port;
        NodeDirectory = Path.Combine(context.RootDirectory, name);
        DataDirectory = Path.Combine(NodeDirectory, "data");
        LogFile = Path.Combine(NodeDirectory, "postgres.log");
    }

    /// <summary>Gets the node's name: <c>node1</c> for the initial primary, then <c>node2</c>, ...; also its replication slot name.</summary>
    public string Name { get; }

    /// <summary>Gets the address the server listens on: always <c>127.0.0.1</c>.</summary>
    public string Host => NodeConfig.Host;

    /// <summary>Gets the TCP port the server listens on.</summary>
    public int Port { get; private set; }

    /// <summary>Gets <c>host:port</c>, as it appears in connection strings.</summary>
    public string Endpoint => $"{Host}:{Port}";

    /// <summary>Gets the server's data directory (<c>PGDATA</c>).</summary>
    public string DataDirectory { get; }

    /// <summary>Gets the server log file (<c>pg_ctl -l</c>); worth reading when a test fails.</summary>
    public string LogFile { get; }

    /// <summary>Gets an Npgsql connection string for this node only, shaped like <see cref="PgCluster.ConnectionString"/>.</summary>
    public string ConnectionString => ConnectionStrings.ForEndpoints([Endpoint], _context);

    /// <summary>Gets the postmaster's process id, read from <c>postmaster.pid</c>; <see langword="null"/> when it is not running.</summary>
    public int? PostmasterPid =>
        PostmasterPidFile.Read(DataDirectory) is { } file && file.IsLive(DataDirectory) ? file.Pid : null;

    /// <summary>Gets whether the postmaster is running (a frozen one counts as running).</summary>
    public bool IsRunning => PostmasterPid is not null;

    internal string NodeDirectory { get; }

    /// <summary>Returns the name and endpoint, e.g. <c>node2 127.0.0.1:5433</c>.</summary>
    /// <returns>The description.</returns>
    public override string ToString() => $"{Name} {Endpoint}";
}
