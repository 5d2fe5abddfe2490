using Npgsql;
using PgHa.Testing;

namespace PgHa.FaultTests;

/// <summary>
/// Commits a one-row write on whichever node is writable, every 100 ms per node, with plain Npgsql over the node's
/// network address: the cluster's own answer to "could a write be acknowledged now?", independent of the client
/// under test. Unlike <see cref="WritableMonitor"/> it does not reach a cut-off node (the application could not
/// either), and in synchronous mode a commit counts only once a standby confirmed it.
/// </summary>
/// <remarks>
/// A commit is never abandoned or cancelled: on a frozen node or behind a cut link it waits until the node answers,
/// so each node holds at most one probe backend (a pile of abandoned commits waiting for a synchronous standby could
/// use up <c>max_connections</c> and fail the client for the harness's sake), and a commit that does return is
/// acknowledged at the moment the cluster acknowledged it.
/// </remarks>
internal sealed class CommitProbe : IAsyncDisposable
{
    public const string Schema = "CREATE TABLE IF NOT EXISTS fault_commit_probe(node text PRIMARY KEY, n bigint NOT NULL);";

    private const string IsWritable = "SELECT NOT pg_is_in_recovery() AND current_setting('transaction_read_only') = 'off'";
    private const string Commit = "INSERT INTO fault_commit_probe(node, n) VALUES ($1, $2) ON CONFLICT (node) DO UPDATE SET n = excluded.n";
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan StopWait = TimeSpan.FromSeconds(5);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops;

    private CommitProbe(IReadOnlyList<AgentNode> nodes, History history) =>
        _loops = nodes.Select(n => Task.Run(() => ProbeAsync(n, history, _stop.Token))).ToList();

    public static CommitProbe Start(IReadOnlyList<AgentNode> nodes, History history) => new(nodes, history);

    private static async Task ProbeAsync(AgentNode node, History history, CancellationToken ct)
    {
        // No command timeout: Npgsql would send a cancel request, which on a frozen node blocks in turn.
        var connectionString = new NpgsqlConnectionStringBuilder(node.ConnectionString) { Timeout = 2, CommandTimeout = 0 }.ConnectionString;
        NpgsqlConnection? connection = null;
        for (var n = 1L; !ct.IsCancellationRequested; n++)
        {
            var asked = History.Now;
            try
            {
                if (connection is null)
                {
                    connection = new NpgsqlConnection(connectionString);
                    await connection.OpenAsync(CancellationToken.None);
                }

                if (await CommitIfWritableAsync(connection, node.Name, n))
                    history.Commits.Enqueue(new CommitSample(node.Name, asked, History.Now));
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException or InvalidOperationException)
            {
                connection?.Dispose();
                connection = null;
            }

            try
            {
                await Task.Delay(Interval, ct);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        connection?.Dispose();
    }

    /// <summary>Asks first, so that a replica answers "no" instead of filling its log with read-only errors.</summary>
    private static async Task<bool> CommitIfWritableAsync(NpgsqlConnection connection, string node, long n)
    {
        await using (var ask = new NpgsqlCommand(IsWritable, connection))
        {
            if (!(bool)(await ask.ExecuteScalarAsync())!)
                return false;
        }

        await using var commit = new NpgsqlCommand(Commit, connection) { Parameters = { new() { Value = node }, new() { Value = n } } };
        await commit.ExecuteNonQueryAsync();
        return true;
    }

    /// <summary>Stops asking. A probe still waiting on a node that never answers again (a test that failed mid-fault) is left to the cluster's teardown.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAny(Task.WhenAll(_loops), Task.Delay(StopWait));
        _stop.Dispose();
    }
}
