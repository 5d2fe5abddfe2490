using Npgsql;
using NpgsqlTypes;

namespace PgHa.LoadTest;

/// <summary>
/// Everything one client touches in the hot loop, allocated once: its random source, its two commands (rebound to
/// each new connection), its latency histogram and its per-node counters.
/// </summary>
internal sealed class ClientState : IDisposable
{
    // inet_server_port() says which server answered, so every measured operation is attributed to a node.
    public const string ReadSql = "SELECT abalance, inet_server_port() FROM loadtest_accounts WHERE aid = $1";
    public const string WriteSql = "UPDATE loadtest_accounts SET abalance = abalance + 1 WHERE aid = $1 RETURNING inet_server_port()";

    private readonly int[] _ports;

    public ClientState(int seed, int[] ports)
    {
        _ports = ports;
        Random = new Random(seed);
        ReadKey = new NpgsqlParameter<int> { NpgsqlDbType = NpgsqlDbType.Integer };
        WriteKey = new NpgsqlParameter<int> { NpgsqlDbType = NpgsqlDbType.Integer };
        Read = new NpgsqlCommand(ReadSql) { Parameters = { ReadKey } };
        Write = new NpgsqlCommand(WriteSql) { Parameters = { WriteKey } };
        ReadsByNode = new long[ports.Length + 1];
        WritesByNode = new long[ports.Length + 1];
    }

    public Random Random { get; }

    public NpgsqlCommand Read { get; }

    public NpgsqlParameter<int> ReadKey { get; }

    public NpgsqlCommand Write { get; }

    public NpgsqlParameter<int> WriteKey { get; }

    public LatencyHistogram Latency { get; } = new();

    /// <summary>Successful reads by node index (the last slot: a port not in the cluster).</summary>
    public long[] ReadsByNode { get; }

    /// <summary>Successful writes by node index (the last slot: a port not in the cluster).</summary>
    public long[] WritesByNode { get; }

    public long Errors { get; set; }

    public string? FirstError { get; set; }

    public int NodeIndex(int port)
    {
        for (var i = 0; i < _ports.Length; i++)
        {
            if (_ports[i] == port)
                return i;
        }

        return _ports.Length;
    }

    public void Reset()
    {
        Latency.Clear();
        Array.Clear(ReadsByNode);
        Array.Clear(WritesByNode);
        Errors = 0;
        FirstError = null;
    }

    public void Dispose()
    {
        Read.Dispose();
        Write.Dispose();
    }
}
