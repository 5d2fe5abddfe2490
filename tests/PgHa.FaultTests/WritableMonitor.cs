using Npgsql;
using PgHa.Testing;

namespace PgHa.FaultTests;

/// <summary>
/// Asks every node, every 100 ms, whether it accepts writes and on which timeline — over its Unix socket, so that a
/// node cut off the network still answers (a frozen one does not, and is simply not sampled). A question not answered
/// within a second is abandoned with its connection: Npgsql's cancellation would block on a frozen server.
/// </summary>
internal sealed class WritableMonitor : IAsyncDisposable
{
    private const string Question = """
        SELECT NOT pg_is_in_recovery() AND current_setting('transaction_read_only') = 'off',
               CASE WHEN pg_is_in_recovery() THEN NULL ELSE substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8) END
        """;

    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(1);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops;

    private WritableMonitor(IReadOnlyList<AgentNode> nodes, History history, string socketDirectory) =>
        _loops = nodes.Select(n => Task.Run(() => WatchAsync(n, history, socketDirectory, _stop.Token))).ToList();

    public static WritableMonitor Start(IReadOnlyList<AgentNode> nodes, History history, string socketDirectory = "/var/run/postgresql") =>
        new(nodes, history, socketDirectory);

    private static async Task WatchAsync(AgentNode node, History history, string socketDirectory, CancellationToken ct)
    {
        NpgsqlConnection? connection = null;
        while (!ct.IsCancellationRequested)
        {
            var asked = History.Now;
            var answer = AskAsync(connection ??= new NpgsqlConnection(node.UnixSocketConnectionString(socketDirectory)));
            if (await Task.WhenAny(answer, Task.Delay(AnswerTimeout, CancellationToken.None)) == answer && answer.IsCompletedSuccessfully)
            {
                history.Writable.Enqueue(new WritableSample(node.Name, asked, History.Now, answer.Result.Writable, answer.Result.Timeline));
            }
            else
            {
                var abandoned = connection;
                connection = null;
                _ = answer.ContinueWith(_ => abandoned.Dispose(), TaskScheduler.Default);
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

        if (connection is not null)
            await connection.DisposeAsync();
    }

    private static async Task<(bool Writable, string? Timeline)> AskAsync(NpgsqlConnection connection)
    {
        if (connection.State != System.Data.ConnectionState.Open)
            await connection.OpenAsync();
        await using var command = new NpgsqlCommand(Question, connection);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetBoolean(0), reader.IsDBNull(1) ? null : reader.GetString(1));
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_loops);
        _stop.Dispose();
    }
}
