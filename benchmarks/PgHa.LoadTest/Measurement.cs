using System.Globalization;
using Npgsql;

namespace PgHa.LoadTest;

/// <summary>
/// Runs every cell: the systems take turns in short rounds, the order rotating each round so that none always runs
/// first or right after another, the first round of each cell discarded (pool growth, JIT, caches).
/// </summary>
internal static class Measurement
{
    public static async Task<List<Cell>> RunAsync(LoadTestOptions options, LoadTestBed bed, Action<string> progress, CancellationToken ct)
    {
        var ports = bed.Ports;
        var states = Enumerable.Range(0, options.MaxClients).Select(i => new ClientState(1000 + i, ports)).ToArray();
        try
        {
            var cells = new List<Cell>();
            foreach (var mix in options.Mixes)
            {
                foreach (var clients in options.Clients)
                {
                    var cell = new Cell(mix, clients, bed.Targets.Select(t => t.Kind), ports.Length);
                    for (var round = 0; round <= options.Rounds; round++)
                    {
                        for (var turn = 0; turn < bed.Targets.Count; turn++)
                        {
                            var target = bed.Targets[(turn + round) % bed.Targets.Count];
                            foreach (var state in states)
                                state.Reset();
                            var elapsed = await Workload.RunAsync(target, states, clients, mix, options.Rows, options.RoundLength, ct);
                            if (round > 0)
                                cell.Systems[target.Kind].Add(states, clients, Operations(states, clients) / elapsed.TotalSeconds);
                        }
                    }

                    cells.Add(cell);
                    progress(string.Create(CultureInfo.InvariantCulture, $"{mix.Name,-6} {clients,3} clients: ") + string.Join("  ",
                        cell.Systems.Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Key.Name()} {Stats.Median(s.Value.OpsPerSecond):0}{(s.Value.Errors > 0 ? $" ({s.Value.Errors} errors)" : "")}"))));
                }
            }

            return cells;
        }
        finally
        {
            foreach (var state in states)
                state.Dispose();
        }
    }

    /// <summary>
    /// Before measuring: a short 90/10 burst with 4 clients through each system, attributing every operation to the
    /// server that answered it, and one <c>pg_is_in_recovery()</c> through the read path.
    /// </summary>
    public static async Task<List<RoutingCheck>> CheckRoutingAsync(LoadTestOptions options, LoadTestBed bed, CancellationToken ct)
    {
        const int clients = 4;
        var ports = bed.Ports;
        var states = Enumerable.Range(0, clients).Select(i => new ClientState(500 + i, ports)).ToArray();
        var checks = new List<RoutingCheck>();
        try
        {
            foreach (var target in bed.Targets)
            {
                var cell = new SystemCell(ports.Length);
                foreach (var state in states)
                    state.Reset();
                var elapsed = await Workload.RunAsync(target, states, clients, new Mix("90/10", 90), options.Rows, TimeSpan.FromMilliseconds(500), ct);
                cell.Add(states, clients, 0 / elapsed.TotalSeconds);
                bool? inRecovery;
                await using (var connection = await target.OpenRead())
                {
                    await using var command = new NpgsqlCommand("SELECT pg_is_in_recovery()", connection);
                    inRecovery = await command.ExecuteScalarAsync(ct) as bool?;
                }

                checks.Add(Judge(target.Kind, cell));
                checks[^1] = checks[^1] with { InRecoveryViaReadPath = inRecovery };
            }

            return checks;
        }
        finally
        {
            foreach (var state in states)
                state.Dispose();
        }
    }

    private static RoutingCheck Judge(SystemKind kind, SystemCell cell)
    {
        var reads = cell.ReadsByNode;
        var writes = cell.WritesByNode;
        var problems = new List<string>();
        if (reads.Sum() == 0 || writes.Sum() == 0)
            problems.Add("no successful reads or writes");
        if (writes.Sum() != writes[0])
            problems.Add("writes off the primary");
        if (kind.ReadsOnReplicas() && reads[0] + reads[^1] > 0)
            problems.Add($"{reads[0] + reads[^1]} reads not on a replica");
        if (!kind.ReadsOnReplicas() && reads.Sum() != reads[0])
            problems.Add("reads off the primary");
        if (cell.Errors > 0)
            problems.Add($"{cell.Errors} errors ({cell.FirstError})");
        var ok = problems.Count == 0;
        var verdict = ok
            ? (kind.ReadsOnReplicas() ? "ok: reads on replicas, writes on the primary" : "ok: reads and writes on the primary")
            : "WRONG: " + string.Join("; ", problems);
        return new RoutingCheck(kind, reads, writes, null, cell.Errors, verdict, ok);
    }

    private static long Operations(ClientState[] states, int clients)
    {
        long total = 0;
        for (var i = 0; i < clients; i++)
            total += states[i].ReadsByNode.Sum() + states[i].WritesByNode.Sum();
        return total;
    }
}
