using System.Globalization;
using Npgsql;
using PgHa.Client;

namespace PgHa.FaultTests;

/// <summary>
/// The application under fault: writers inserting unique ids with <c>ExecuteWriteAsync</c> (half of them through a
/// <see cref="PgHaSession"/>, reading each acknowledged write back from a replica), a heartbeat writer inserting
/// tick numbers every 100 ms, and readers reading the newest tick from lag-bounded replicas. Every outcome goes
/// into <see cref="History"/>. It is stopped, not cancelled: each task finishes the operation it is in, so every
/// outcome is what the library reported, never an artefact of the test's own cancellation.
/// </summary>
internal sealed class Workload
{
    public const string Schema = """
        CREATE TABLE IF NOT EXISTS fault_items(seq bigserial PRIMARY KEY, id bigint NOT NULL, writer int NOT NULL);
        CREATE INDEX IF NOT EXISTS fault_items_id ON fault_items(id);
        CREATE TABLE IF NOT EXISTS fault_ticks(n bigint PRIMARY KEY);
        """;

    private static readonly TimeSpan TickInterval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan PauseAfterError = TimeSpan.FromMilliseconds(50);
    private readonly PgHaDataSource _dataSource;
    private readonly History _history;
    private readonly List<Task> _tasks = [];
    private volatile bool _stopping;

    private Workload(PgHaDataSource dataSource, History history) => (_dataSource, _history) = (dataSource, history);

    public static Workload Start(PgHaDataSource dataSource, History history, FaultProfile profile)
    {
        var workload = new Workload(dataSource, history);
        for (var w = 0; w < profile.Writers; w++)
        {
            var writer = w;
            workload._tasks.Add(Task.Run(() => workload.WriteAsync(writer, withSession: writer % 2 == 1)));
        }

        workload._tasks.Add(Task.Run(workload.TickAsync));
        for (var r = 0; r < profile.Readers; r++)
            workload._tasks.Add(Task.Run(workload.ReadAsync));
        return workload;
    }

    /// <summary>Lets every task finish its current operation, then returns.</summary>
    public async Task StopAsync()
    {
        _stopping = true;
        await Task.WhenAll(_tasks);
    }

    private async Task WriteAsync(int writer, bool withSession)
    {
        var session = withSession ? _dataSource.CreateSession() : null;
        var id = (writer + 1) * 1_000_000_000L;
        while (!_stopping)
        {
            var item = ++id;
            var started = History.Now;
            var outcome = await AttemptAsync(() => session is null
                ? _dataSource.ExecuteWriteAsync((c, tx, ct) => InsertItemAsync(c, tx, item, writer, ct))
                : session.ExecuteWriteAsync((c, tx, ct) => InsertItemAsync(c, tx, item, writer, ct)));
            _history.Writes.Enqueue(new WriteOp(item, writer, started, History.Now, outcome.Outcome, outcome.Error));
            if (outcome.Outcome == Outcome.Ok && session is not null)
                await ReadBackAsync(session, item);
            if (outcome.Outcome != Outcome.Ok)
                await Task.Delay(PauseAfterError);
        }
    }

    private async Task ReadBackAsync(PgHaSession session, long item)
    {
        try
        {
            var (seen, node) = await session.ExecuteReadAsync(async (c, ct) =>
            {
                await using var select = new NpgsqlCommand("SELECT count(*) FROM fault_items WHERE id = $1", c) { Parameters = { new() { Value = item } } };
                return ((long)(await select.ExecuteScalarAsync(ct))! > 0, NodeOf(c));
            });
            _history.ReadYourWrites.Enqueue(new ReadYourWriteOp(item, seen, node));
        }
        catch (Exception ex) when (ex is NpgsqlException or PgHaException or TimeoutException or IOException or InvalidOperationException)
        {
            _history.ReadFailed(ex);
        }
    }

    private async Task TickAsync()
    {
        var n = 0L;
        while (!_stopping)
        {
            var tick = ++n;
            var started = History.Now;
            var outcome = await AttemptAsync(() => _dataSource.ExecuteWriteAsync(async (c, tx, ct) =>
            {
                await using var insert = new NpgsqlCommand("INSERT INTO fault_ticks(n) VALUES ($1)", c, tx) { Parameters = { new() { Value = tick } } };
                await insert.ExecuteNonQueryAsync(ct);
            }));
            _history.Ticks.Enqueue(new TickOp(tick, started, History.Now, outcome.Outcome));
            await Task.Delay(outcome.Outcome == Outcome.Ok ? TickInterval : PauseAfterError);
        }
    }

    private async Task ReadAsync()
    {
        while (!_stopping)
        {
            try
            {
                var read = await _dataSource.ExecuteReadAsync(async (c, ct) =>
                {
                    var at = History.Now; // routing is done: this is when the replica was judged fresh enough
                    await using var select = new NpgsqlCommand("SELECT coalesce(max(n), 0) FROM fault_ticks", c);
                    return new ReadOp(at, (long)(await select.ExecuteScalarAsync(ct))!, NodeOf(c));
                });
                _history.Reads.Enqueue(read);
                await Task.Delay(20);
            }
            catch (Exception ex) when (ex is NpgsqlException or PgHaException or TimeoutException or IOException or InvalidOperationException)
            {
                _history.ReadFailed(ex);
                await Task.Delay(PauseAfterError);
            }
        }
    }

    private static async Task<(Outcome Outcome, string? Error)> AttemptAsync(Func<Task> write)
    {
        try
        {
            await write();
            return (Outcome.Ok, null);
        }
        catch (PgHaCommitOutcomeUnknownException ex)
        {
            return (Outcome.Unknown, $"{ex.Reason}: {ex.Message}");
        }
        catch (Exception ex) when (ex is NpgsqlException or PgHaException or TimeoutException or IOException or InvalidOperationException)
        {
            return (Outcome.Failed, $"{ex.GetType().Name}: {ex.Message}");
        }
    }

    private static async Task InsertItemAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long item, int writer, CancellationToken ct)
    {
        await using var insert = new NpgsqlCommand("INSERT INTO fault_items(id, writer) VALUES ($1, $2)", connection, transaction)
        {
            Parameters = { new() { Value = item }, new() { Value = writer } },
        };
        await insert.ExecuteNonQueryAsync(ct);
    }

    private static string NodeOf(NpgsqlConnection connection) => $"{connection.Host}:{connection.Port.ToString(CultureInfo.InvariantCulture)}";
}
