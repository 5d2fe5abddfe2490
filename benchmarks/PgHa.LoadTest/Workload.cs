using System.Diagnostics;
using System.Runtime.CompilerServices;
using Npgsql;

namespace PgHa.LoadTest;

/// <summary>
/// The hot loop: each client repeatedly opens a connection (a pool checkout, or a routed one), runs one statement and
/// closes it, like a web request, until the round's deadline.
/// </summary>
internal static class Workload
{
    /// <summary>Runs <paramref name="clients"/> clients against <paramref name="target"/> for <paramref name="length"/>.</summary>
    /// <returns>Wall time from the start until the last client finished its last operation.</returns>
    public static async Task<TimeSpan> RunAsync(
        LoadTarget target, ClientState[] states, int clients, Mix mix, int rows, TimeSpan length, CancellationToken ct)
    {
        var tasks = new Task[clients];
        var started = Stopwatch.GetTimestamp();
        var deadline = started + (long)(length.TotalSeconds * Stopwatch.Frequency);
        for (var i = 0; i < clients; i++)
        {
            var state = states[i];
            tasks[i] = Task.Run(() => ClientAsync(target, state, mix.ReadPercent, rows, deadline, ct), ct);
        }

        await Task.WhenAll(tasks);
        return Stopwatch.GetElapsedTime(started);
    }

    private static async Task ClientAsync(LoadTarget target, ClientState state, int readPercent, int rows, long deadline, CancellationToken ct)
    {
        while (Stopwatch.GetTimestamp() < deadline)
        {
            ct.ThrowIfCancellationRequested();
            var read = readPercent == 100 || (readPercent != 0 && state.Random.Next(100) < readPercent);
            var key = state.Random.Next(1, rows + 1);
            var started = Stopwatch.GetTimestamp();
            try
            {
                var port = await OperationAsync(target, state, read, key, ct);
                state.Latency.Record(Stopwatch.GetTimestamp() - started);
                (read ? state.ReadsByNode : state.WritesByNode)[state.NodeIndex(port)]++;
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                state.Errors++;
                state.FirstError ??= $"{e.GetType().Name}: {e.Message}";
                await Task.Delay(1, CancellationToken.None); // a dead endpoint must not turn into a tight error loop
            }
        }
    }

    // Pooled builder: an operation that completes asynchronously does not allocate its state machine box.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<int> OperationAsync(LoadTarget target, ClientState state, bool read, int key, CancellationToken ct)
    {
        await using var connection = await (read ? target.OpenRead() : target.OpenWrite());
        NpgsqlCommand command;
        if (read)
        {
            state.ReadKey.TypedValue = key;
            command = state.Read;
        }
        else
        {
            state.WriteKey.TypedValue = key;
            command = state.Write;
        }

        command.Connection = connection;
        int port;
        await using (var reader = await command.ExecuteReaderAsync(ct))
            port = await reader.ReadAsync(ct) ? reader.GetInt32(reader.FieldCount - 1) : -1;
        command.Connection = null;
        return port;
    }
}
