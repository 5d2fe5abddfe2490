using System.Diagnostics;
using System.Globalization;
using System.Text;
using Npgsql;
using PgHa.Client;
using PgHa.Testing;

namespace PgHa.Benchmarks;

/// <summary>
/// The write unavailability an application sees while the primary dies and a replica is promoted, for two apps
/// writing side by side into one cluster in one run: PgHa's ExecuteWriteAsync (default options), and an
/// NpgsqlMultiHostDataSource app (Target Session Attributes=primary, Npgsql defaults) with the usual naive loop:
/// on an error, wait 100 ms and try the same write again. Each app inserts unique ids into its own table; the
/// longest gap between two acknowledged writes and the number of errors the app's code saw are reported.
/// </summary>
internal static class WriteGap
{
    private static readonly TimeSpan NaiveRetryPause = TimeSpan.FromMilliseconds(100);

    private sealed record Sample(string Fault, TimeSpan Promotion, AppRun PgHa, AppRun Npgsql);

    private sealed record AppRun(TimeSpan LongestGap, int Errors, int Acknowledged, int Duplicates, int Lost, int FailedButCommitted);

    public static async Task<string> RunAsync(int repetitions)
    {
        var samples = new List<Sample>();
        foreach (var fault in new[] { "SIGKILL", "fast shutdown" })
        {
            for (var i = 0; i < repetitions; i++)
            {
                samples.Add(await RunOnceAsync(fault));
                Console.Error.WriteLine($"{fault} #{i + 1}: {samples[^1]}");
            }
        }

        return Report(samples, repetitions);
    }

    private static async Task<Sample> RunOnceAsync(string fault)
    {
        await using var cluster = await PgCluster.StartAsync(new PgClusterOptions());
        var primary = cluster.Nodes[0];
        await primary.ExecuteAsync("CREATE TABLE pgha_ids(id int PRIMARY KEY); CREATE TABLE npgsql_ids(id int PRIMARY KEY)");
        // Synchronous replication to both replicas, so an acknowledged write is never lost by the promotion and
        // "lost" below measures the apps, not PostgreSQL's asynchronous window.
        await primary.ExecuteAsync("ALTER SYSTEM SET synchronous_standby_names = 'ANY 2 (*)'");
        await primary.ExecuteAsync("SELECT pg_reload_conf()");
        await cluster.Nodes[1].WaitForReplayAsync(primary, TimeSpan.FromSeconds(10));

        await using var pgha = new PgHaDataSourceBuilder(cluster.ConnectionString).Build();
        await pgha.EnsureCommitMarkerTableAsync();
        await using var multiHost = new NpgsqlDataSourceBuilder(cluster.ConnectionString).BuildMultiHost();
        var npgsqlPrimary = multiHost.WithTargetSession(TargetSessionAttributes.Primary);

        using var stop = new CancellationTokenSource();
        var pghaApp = new App();
        var npgsqlApp = new App();
        var writers = new[]
        {
            Task.Run(() => pghaApp.RunAsync(id => pgha.ExecuteWriteAsync((c, t, ct) => InsertAsync(c, t, "pgha_ids", id, ct)), stop.Token)),
            Task.Run(() => npgsqlApp.RunAsync(async id =>
            {
                // The same transaction as PgHa's unit of work: BEGIN, INSERT, COMMIT.
                await using var connection = await npgsqlPrimary.OpenConnectionAsync();
                await using var transaction = await connection.BeginTransactionAsync();
                await InsertAsync(connection, transaction, "npgsql_ids", id, CancellationToken.None);
                await transaction.CommitAsync();
            }, stop.Token)),
        };

        await Task.Delay(2000);
        var clock = Stopwatch.StartNew();
        if (fault == "SIGKILL")
            primary.Kill();
        else
            await primary.StopAsync(PgStopMode.Fast);
        await cluster.Nodes[1].PromoteAsync(wait: true);
        var promotion = clock.Elapsed;
        // Long enough for Npgsql's host-state cache (Host Recheck Seconds, 10 s by default) to expire.
        var settle = Stopwatch.StartNew();
        while (settle.Elapsed < TimeSpan.FromSeconds(30) && !(pghaApp.WritesSince(clock) > 20 && npgsqlApp.WritesSince(clock) > 20))
            await Task.Delay(100);
        await Task.Delay(1000);
        var end = Stopwatch.GetTimestamp();
        await stop.CancelAsync();
        await Task.WhenAll(writers);

        var survivor = cluster.Nodes[1];
        return new Sample(fault, promotion,
            await pghaApp.CheckAsync(survivor, "pgha_ids", end),
            await npgsqlApp.CheckAsync(survivor, "npgsql_ids", end));
    }

    private static async Task InsertAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string table, int id, CancellationToken ct)
    {
        await using var insert = new NpgsqlCommand($"INSERT INTO {table} VALUES ($1)", connection, transaction);
        insert.Parameters.AddWithValue(id);
        await insert.ExecuteNonQueryAsync(ct);
    }

    /// <summary>One application's writer loop and what it saw.</summary>
    private sealed class App
    {
        private readonly List<(int Id, long At)> _acks = [];
        private readonly List<int> _givenUp = [];
        private int _errors;

        public async Task RunAsync(Func<int, Task> write, CancellationToken stop)
        {
            for (var id = 1; !stop.IsCancellationRequested; id++)
            {
                while (true)
                {
                    try
                    {
                        await write(id);
                        lock (_acks)
                            _acks.Add((id, Stopwatch.GetTimestamp()));
                        break;
                    }
                    catch (Exception ex) when (ex is NpgsqlException or PgHaException or InvalidOperationException)
                    {
                        _errors++;
                        if (Environment.GetEnvironmentVariable("WRITEGAP_DEBUG") is not null)
                            Console.Error.WriteLine($"{Stopwatch.GetTimestamp() / (Stopwatch.Frequency / 1000)} id {id}: {ex.GetType().Name} {ex.Message}");
                        // An error about the write itself (a unique violation because an earlier try that "failed"
                        // had in fact committed, say) is given up on; anything else is tried again after a pause.
                        if (ex is PostgresException { IsTransient: false } or PgHaCommitOutcomeUnknownException || stop.IsCancellationRequested)
                        {
                            _givenUp.Add(id);
                            break;
                        }
                        await Task.Delay(NaiveRetryPause, CancellationToken.None);
                    }
                }
            }
        }

        public int WritesSince(Stopwatch clock)
        {
            var since = Stopwatch.GetTimestamp() - (long)(clock.Elapsed.TotalSeconds * Stopwatch.Frequency);
            lock (_acks)
                return _acks.Count(a => a.At > since);
        }

        public async Task<AppRun> CheckAsync(PgNode survivor, string table, long end)
        {
            // The end of the run counts as an acknowledgement, so a writer stuck until the end shows its whole gap.
            var times = _acks.Select(a => a.At).Append(end).ToArray();
            var gap = TimeSpan.Zero;
            for (var i = 1; i < times.Length; i++)
            {
                var between = Stopwatch.GetElapsedTime(times[i - 1], times[i]);
                if (between > gap)
                    gap = between;
            }

            var rows = await survivor.ExecuteScalarAsync<long>($"SELECT count(*) FROM {table}");
            var distinct = await survivor.ExecuteScalarAsync<long>($"SELECT count(DISTINCT id) FROM {table}");
            var present = new HashSet<int>();
            await using (var connection = new NpgsqlConnection(survivor.ConnectionString))
            {
                await connection.OpenAsync();
                await using var read = new NpgsqlCommand($"SELECT id FROM {table}", connection);
                await using var reader = await read.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                    present.Add(reader.GetInt32(0));
            }

            return new AppRun(gap, _errors, _acks.Count, (int)(rows - distinct), _acks.Count(a => !present.Contains(a.Id)), _givenUp.Count(present.Contains));
        }
    }

    private static string Report(List<Sample> samples, int repetitions)
    {
        static string Ms(IEnumerable<TimeSpan> values, bool worst)
        {
            var sorted = values.Order().ToArray();
            return (worst ? sorted[^1] : sorted[sorted.Length / 2]).TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture);
        }

        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture, $"{repetitions} repetitions per fault, each on a fresh 1 primary + 2 replica cluster (synchronous replication to both replicas), both apps writing side by side; the replica is promoted (`pg_ctl promote -w`) right after the fault. Times are median / worst.");
        report.AppendLine();
        report.AppendLine("| fault | fault → `pg_ctl promote -w` returned | app | longest write gap | errors surfaced (median / worst) | acknowledged | lost | duplicated | reported failed, yet committed |");
        report.AppendLine("|---|---:|---|---:|---:|---:|---:|---:|---:|");
        foreach (var group in samples.GroupBy(s => s.Fault))
        {
            var promotion = $"{Ms(group.Select(s => s.Promotion), false)} / {Ms(group.Select(s => s.Promotion), true)} ms";
            foreach (var (app, pick) in new (string, Func<Sample, AppRun>)[] { ("PgHa ExecuteWriteAsync", s => s.PgHa), ("NpgsqlMultiHostDataSource + naive retry", s => s.Npgsql) })
            {
                var runs = group.Select(pick).ToArray();
                var errors = runs.Select(r => r.Errors).Order().ToArray();
                report.AppendLine(CultureInfo.InvariantCulture,
                    $"| {group.Key} | {promotion} | {app} | {Ms(runs.Select(r => r.LongestGap), false)} / {Ms(runs.Select(r => r.LongestGap), true)} ms | {errors[errors.Length / 2]} / {errors[^1]} | {runs.Sum(r => r.Acknowledged)} | {runs.Sum(r => r.Lost)} | {runs.Sum(r => r.Duplicates)} | {runs.Sum(r => r.FailedButCommitted)} |");
            }
        }

        return report.ToString();
    }
}
