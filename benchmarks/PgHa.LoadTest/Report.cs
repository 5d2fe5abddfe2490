using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace PgHa.LoadTest;

/// <summary>The markdown results file: header, method, routing check, tables and the targets judged from the numbers.</summary>
internal sealed class Report
{
    private const double SameNodeRatio = 0.97;
    private const double HaProxyTarget = 1.4;
    private const double PgPoolTarget = 2.0;

    private readonly StringBuilder _text = new();

    public required LoadTestOptions Options { get; init; }

    public required string Command { get; init; }

    public required string Started { get; init; }

    public required string Duration { get; init; }

    /// <summary>The 1-minute load average at the start and at the end (other users of the machine show up here).</summary>
    public required string LoadAverage { get; init; }

    public required IReadOnlyList<string> Versions { get; init; }

    public required IReadOnlyList<string> NodeNames { get; init; }

    public required List<RoutingCheck> Routing { get; init; }

    public required List<Cell> Cells { get; init; }

    public required IReadOnlyList<SystemKind> Systems { get; init; }

    public List<(string Node, long Selects)>? PgPoolSelects { get; init; }

    public string? Note { get; init; }

    public override string ToString()
    {
        _text.Clear();
        Header();
        RoutingSection();
        foreach (var mix in Options.Mixes)
            MixTable(mix);
        SameNodeTable();
        Targets();
        Notes();
        return _text.ToString();
    }

    private void Line(string line = "") => _text.Append(line).Append('\n');

    private void Header()
    {
        Line("# Load test: raw Npgsql, PgHa, HAProxy, pgpool-II and Npgsql multi-host on one cluster");
        Line();
        Line($"Command: `{Command}`  ");
        Line($"Started {Started} UTC, took {Duration}; 1-minute load average at start / end: {LoadAverage}.  ");
        Line(Invariant($"Machine: `nproc` = {Environment.ProcessorCount}, {OsName()}, {RuntimeInformation.FrameworkDescription}; ") +
             "load generator, the 3 PostgreSQL servers and the proxies all share these cores, as in the ANCHORS pgbench figure.  ");
        Line("Versions: " + string.Join("; ", Versions) + ".");
        if (Note is not null)
        {
            Line();
            Line(Note);
        }

        Line();
        Line("## Method");
        Line();
        Line(Invariant($"One cluster (1 primary + 2 streaming replicas on 127.0.0.1), one table `loadtest_accounts` of {Options.Rows} rows (int primary key, pgbench_accounts-like). ") +
             "An operation is what a web request does: take a connection (a pool checkout, or PgHa's routed open), run one statement, close it. " +
             "A read is a primary-key point `SELECT` (pgbench -S style); a write is a single-row `UPDATE` by random key. Every statement also returns " +
             "`inet_server_port()`, so each operation is attributed to the server that actually answered it (the read/write shares below are measured, not assumed). " +
             "Clients are async loops with preallocated state (their own `Random`, two reusable commands, a fixed-bucket latency histogram); " +
             "latency is open-to-close of one operation.");
        Line();
        Line(Invariant($"Rounds: for each workload and client count, every system runs for {Options.RoundLength.TotalSeconds:0.###} s in turn; ") +
             Invariant($"the order rotates by one each round; the first round is a discarded warm-up, then {Options.Rounds} measured rounds. ") +
             "Throughput is the median of the per-round throughputs; p50/p99 come from all measured operations; the ratio to raw is the median " +
             "of the per-round ratios (25th–75th percentile in brackets), so drift of this shared machine hits every system alike.");
        Line();
        Line("Systems:");
        Line();
        foreach (var kind in Systems)
            Line($"- **{kind.Name()}**: {kind.Description()}");
        Line();
        Line("Every system keeps Npgsql's default pool settings; pools stay warm across cells.");
        Line();
    }

    private void RoutingSection()
    {
        Line("## Routing check (before measuring)");
        Line();
        Line("4 clients, 90/10 mix, 0.5 s through each system; operations counted by the server that answered; then one `SELECT pg_is_in_recovery()` through the read path.");
        Line();
        Line($"| system | reads on {string.Join(" / ", NodeNames)} | writes on {string.Join(" / ", NodeNames)} | pg_is_in_recovery() via read path | verdict |");
        Line("|---|---|---|---|---|");
        foreach (var check in Routing)
            Line($"| {check.System.Name()} | {Counts(check.ReadsByNode)} | {Counts(check.WritesByNode)} | {check.InRecoveryViaReadPath?.ToString().ToLowerInvariant() ?? "?"} | {check.Verdict} |");
        Line();
        if (PgPoolSelects is not null)
        {
            Line("pgpool-II's own count (`SHOW pool_nodes`, `select_cnt` over the whole run): " +
                 string.Join(", ", PgPoolSelects.Select(p => Invariant($"{p.Node} {p.Selects}"))) + ".");
            Line();
        }
    }

    private void MixTable(Mix mix)
    {
        Line($"## Workload: {Describe(mix)}");
        Line();
        Line($"| clients | system | ops/s | p50 µs | p99 µs | ÷ raw (IQR) | reads on {string.Join("/", NodeNames)} | writes on primary | errors |");
        Line("|---:|---|---:|---:|---:|---:|---|---:|---:|");
        foreach (var cell in Cells.Where(c => c.Mix == mix))
        {
            foreach (var kind in Systems)
            {
                var s = cell.Systems[kind];
                var (ratio, low, high) = cell.Ratio(kind, SystemKind.Raw);
                var reads = s.ReadsByNode.Sum();
                var writes = s.WritesByNode.Sum();
                Line(Invariant($"| {cell.Clients} | {kind.Name()} | {Stats.Median(s.OpsPerSecond):0} | {s.Latency.PercentileMicros(0.5):0} | {s.Latency.PercentileMicros(0.99):0} | ") +
                     (kind == SystemKind.Raw ? "1 | " : Invariant($"**{ratio:0.00}** ({low:0.00}–{high:0.00}) | ")) +
                     (reads == 0 ? "– | " : Shares(s.ReadsByNode) + " | ") +
                     (writes == 0 ? "– | " : Invariant($"{100.0 * s.WritesByNode[0] / writes:0.#}% | ")) +
                     Invariant($"{s.Errors}{(s.FirstError is null ? "" : $" ({Escape(s.FirstError)})")} |"));
            }
        }

        Line();
    }

    private void SameNodeTable()
    {
        SameNodeTable(SystemKind.PgHaPrimary, SystemKind.Raw, "Same node: PgHa routed to the primary vs raw Npgsql to the primary", Cells);
        SameNodeTable(SystemKind.PgHa, SystemKind.RawReplicas, "Same nodes: PgHa reads routed to the replicas vs raw Npgsql alternating over the same replicas (writes: primary for both)", Cells);
    }

    private void SameNodeTable(SystemKind pgha, SystemKind raw, string title, IEnumerable<Cell> cells)
    {
        if (!Systems.Contains(pgha) || !Systems.Contains(raw))
            return;
        Line($"## {title}");
        Line();
        Line($"| workload | clients | {raw.Name()} ops/s | {pgha.Name()} ops/s | {raw.Name()} p50 / p99 µs | {pgha.Name()} p50 / p99 µs | PgHa ÷ raw (IQR) |");
        Line("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var cell in cells)
        {
            var r = cell.Systems[raw];
            var p = cell.Systems[pgha];
            var (ratio, low, high) = cell.Ratio(pgha, raw);
            Line(Invariant($"| {cell.Mix.Name} | {cell.Clients} | {Stats.Median(r.OpsPerSecond):0} | {Stats.Median(p.OpsPerSecond):0} | ") +
                 Invariant($"{r.Latency.PercentileMicros(0.5):0} / {r.Latency.PercentileMicros(0.99):0} | {p.Latency.PercentileMicros(0.5):0} / {p.Latency.PercentileMicros(0.99):0} | **{ratio:0.000}** ({low:0.000}–{high:0.000}) |"));
        }

        var all = Cells.SelectMany(c => c.RoundRatios(pgha, raw)).ToList();
        Line();
        Line(Invariant($"All {all.Count} per-round ratios of the table pooled: median **{Stats.Median(all):0.000}** ({Stats.Percentile(all, 0.25):0.000}–{Stats.Percentile(all, 0.75):0.000})."));
        Line();
    }

    private void Targets()
    {
        Line("## Targets (DESIGN.md), judged from the tables above");
        Line();
        SameNodeTarget(SystemKind.PgHaPrimary, SystemKind.Raw, "primary");
        SameNodeTarget(SystemKind.PgHa, SystemKind.RawReplicas, "replicas");

        var readCells = Cells.Where(c => c.Mix.ReadPercent == 100).ToList();
        if (readCells.Count == 0)
        {
            Line("- Read throughput vs proxies: not measured (no read workload in --mixes).");
        }
        else
        {
            ProxyTarget(readCells, SystemKind.HaProxy, "HAProxy", HaProxyTarget);
            ProxyTarget(readCells, SystemKind.PgPool, "pgpool-II", PgPoolTarget);
            var anchor = readCells.Where(c => Systems.Contains(SystemKind.HaProxy) && Systems.Contains(SystemKind.PgPool))
                .Select(c => Invariant($"{c.Clients} clients 1 : {c.Ratio(SystemKind.HaProxy, SystemKind.Raw).Median:0.00} : {c.Ratio(SystemKind.PgPool, SystemKind.Raw).Median:0.00}"))
                .ToList();
            if (Systems.Contains(SystemKind.RawReplicas))
            {
                Line("- Context: raw Npgsql alternating over the 2 replicas ÷ raw to the primary, read workload: " +
                     string.Join(", ", readCells.Select(c => Invariant($"{c.Clients} clients {c.Ratio(SystemKind.RawReplicas, SystemKind.Raw).Median:0.00}×"))) +
                     ". The replicas share the same 2 cores as the primary, so sending reads to them adds no CPU here; " +
                     "the read comparisons measure each system's own cost per operation, not added capacity.");
            }

            if (anchor.Count > 0)
            {
                Line("- For comparison with the ANCHORS figure (pgbench -S, 8 clients, persistent connections, direct : HAProxy : pgpool-II = 1 : 0.64 : 0.39), " +
                     "this run's read workload gives raw primary : HAProxy : pgpool-II = " + string.Join("; ", anchor) + ".");
            }
        }

        var failed = Routing.Where(r => !r.Ok).ToList();
        Line(failed.Count == 0
            ? "- Routing: every system sent reads and writes where it should (table above)."
            : "- Routing: **" + string.Join("; ", failed.Select(f => $"{f.System.Name()}: {f.Verdict}")) + "**; its numbers above do not measure the intended setup.");
        var errors = Cells.SelectMany(c => c.Systems.Where(s => s.Value.Errors > 0).Select(s => Invariant($"{s.Key.Name()} {c.Mix.Name}@{c.Clients}: {s.Value.Errors}"))).ToList();
        Line(errors.Count == 0 ? "- Errors: none in any measured operation." : "- Errors: " + string.Join(", ", errors) + ".");
        Line();
    }

    private void Notes()
    {
        Line("## Notes");
        Line();
        foreach (var check in Routing.Where(c => c.System.ReadsOnReplicas() && c.Ok && c.InRecoveryViaReadPath == false))
        {
            Line($"- Through {check.System.Name()}, `SELECT pg_is_in_recovery()` on the read path was answered by the primary although the point SELECTs went to the replicas. " +
                 (check.System == SystemKind.PgPool
                     ? "pgpool-II decides per statement: with `read_only_function_list` and `write_function_list` empty it treats volatile functions (pg_is_in_recovery() is one) as writes and sends them to the primary. A role check through pgpool therefore proves nothing about its reads; this test attributes reads by `inet_server_port()` (stable) instead."
                     : "Check the system's routing rules."));
        }

        if (Systems.Contains(SystemKind.PgPool))
        {
            Line("- pgpool-II chooses the load-balance node once per client session (`statement_level_load_balance = off`, the default), and Npgsql's pool keeps sessions open, " +
                 "so each pooled connection stays on one replica: the per-node shares of pgpool above follow how its few pooled connections happened to be assigned. " +
                 "The primary has `backend_weight0 = 0` so that reads go only to the replicas, as with HAProxy's read port and PgHa. " +
                 "Each client connection holds a pgpool child for its lifetime, so `num_init_children` is the largest client count + 8 (with fewer, clients queue in pgpool's accept backlog). " +
                 "`SHOW pool_nodes` is answered by pgpool only over the simple query protocol (Npgsql always uses the extended one, and pgpool then forwards it to PostgreSQL); it is read with psql.");
        }

        if (Systems.Contains(SystemKind.HaProxy))
            Line("- HAProxy balances TCP connections, not statements: with Npgsql's pool each pooled connection stays on the replica it was opened to. Its client/server timeouts are 1 h so that idle pooled connections survive between cells.");
        if (Systems.Contains(SystemKind.MultiHost))
        {
            var reads = new long[NodeNames.Count + 1];
            foreach (var cell in Cells)
            {
                for (var n = 0; n < reads.Length; n++)
                    reads[n] += cell.Systems[SystemKind.MultiHost].ReadsByNode[n];
            }

            if (reads.Sum() > 0)
            {
                Line("- Npgsql multi-host's reads over the whole run, by node: " + Shares(reads) + ". `Load Balance Hosts` rotates over all hosts and `PreferStandby` " +
                     "skips the primary when its turn comes, so the replica listed right after the primary takes its turns too.");
            }
        }
        Line();
    }

    private void SameNodeTarget(SystemKind pgha, SystemKind raw, string nodes)
    {
        if (!Systems.Contains(pgha) || !Systems.Contains(raw))
            return;
        var ratios = Cells.Select(c => (Cell: c, Ratio: c.Ratio(pgha, raw))).ToList();
        var met = ratios.Count(r => r.Ratio.Median >= SameNodeRatio);
        var reach = ratios.Count(r => r.Ratio.High >= SameNodeRatio);
        var all = Cells.SelectMany(c => c.RoundRatios(pgha, raw)).ToList();
        var pooled = Stats.Median(all);
        var worst = ratios.MinBy(r => r.Ratio.Median);
        Line(Invariant($"- **Routed overhead vs raw Npgsql on the same node ({nodes}), ≥ {SameNodeRatio:0.00}×** ({pgha.Name()} ÷ {raw.Name()}): ") +
             Invariant($"{(met == ratios.Count ? "met in every cell" : pooled >= SameNodeRatio ? "met overall (pooled), missed in some cells" : "missed")}; ") +
             Invariant($"pooled median of all {all.Count} per-round ratios **{pooled:0.000}** ({Stats.Percentile(all, 0.25):0.000}–{Stats.Percentile(all, 0.75):0.000}); ") +
             Invariant($"{met} of {ratios.Count} cell medians ≥ {SameNodeRatio:0.00} (lowest {worst.Ratio.Median:0.000}, {worst.Cell.Mix.Name} at {worst.Cell.Clients} clients); ") +
             Invariant($"the 75th percentile reaches {SameNodeRatio:0.00} in {reach} of {ratios.Count} cells."));
    }

    private void ProxyTarget(List<Cell> readCells, SystemKind proxy, string name, double target)
    {
        if (!Systems.Contains(proxy) || !Systems.Contains(SystemKind.PgHa))
        {
            Line($"- Reads vs {name}: not measured (pgha and {proxy.Name()} must both be in --systems).");
            return;
        }

        var ratios = readCells.Select(c => (Cell: c, Ratio: c.Ratio(SystemKind.PgHa, proxy))).ToList();
        var met = ratios.Count(r => r.Ratio.Median >= target);
        var verdict = met == ratios.Count ? "met" : met == 0 ? "missed" : "met at some client counts only";
        Line(Invariant($"- **Read throughput ≥ {target:0.0}× {name}** (PgHa ÷ {name}, read workload, median of per-round ratios): {verdict}; ") +
             string.Join(", ", ratios.Select(r => Invariant($"{r.Cell.Clients} clients **{r.Ratio.Median:0.00}×** ({r.Ratio.Low:0.00}–{r.Ratio.High:0.00}) {(r.Ratio.Median >= target ? "met" : "missed")}"))) + ".");
    }

    private static string Describe(Mix mix) => mix.ReadPercent switch
    {
        100 => "read-only",
        0 => "write-only",
        _ => $"{mix.ReadPercent}% reads / {100 - mix.ReadPercent}% writes",
    };

    private static string Counts(long[] byNode) =>
        string.Join(" / ", byNode.Take(byNode.Length - 1)) + (byNode[^1] > 0 ? $" (+{byNode[^1]} elsewhere)" : "");

    private static string Shares(long[] byNode)
    {
        var total = (double)byNode.Sum();
        return string.Join("/", byNode.Take(byNode.Length - 1).Select(n => Invariant($"{100 * n / total:0}"))) + "%" +
               (byNode[^1] > 0 ? Invariant($" (+{100 * byNode[^1] / total:0.#}% elsewhere)") : "");
    }

    private static string Escape(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).ReplaceLineEndings(" ");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static string OsName()
    {
        try
        {
            var line = File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal));
            return line is null ? RuntimeInformation.OSDescription : line["PRETTY_NAME=".Length..].Trim('"');
        }
        catch (IOException)
        {
            return RuntimeInformation.OSDescription;
        }
    }
}
