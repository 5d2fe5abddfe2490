using System.Diagnostics;
using Npgsql;
using PgHa.Client;
using Xunit;
using Xunit.Abstractions;

namespace PgHa.FaultTests;

/// <summary>
/// The proof run: a real 3-node agent cluster (each node in its own network namespace), an application writing and
/// reading through PgHa, faults from a seeded random sequence, then the checker. Opt-in (category <c>Fault</c>):
/// <c>./fault-test.sh</c> runs the short profile (CI does too), <c>./fault-test.sh long</c> the long one.
/// </summary>
[Trait("Category", "Fault")]
public sealed class FaultInjectionTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Under_random_faults_no_acknowledged_write_is_lost_or_duplicated_and_no_read_breaks_its_bound()
    {
        var profile = FaultProfile.FromEnvironment();
        output.WriteLine($"profile {profile.Name}, seed {profile.Seed}, {(profile.Synchronous ? "sync" : "async")} replication, client RetryBudget {profile.RetryBudget.TotalSeconds:0} s");
        await using var cluster = await FaultCluster.StartAsync(profile.Synchronous);
        await cluster.WaitForHealthyAsync(TimeSpan.FromSeconds(120), CancellationToken.None);

        var builder = new PgHaDataSourceBuilder(cluster.ConnectionString);
        builder.Options.MaxReplicaLag = FaultProfile.MaxReplicaLag;
        builder.Options.RetryBudget = profile.RetryBudget;
        await using var dataSource = builder.Build();
        await dataSource.ExecuteWriteAsync(async (c, tx, ct) =>
        {
            await using var create = new NpgsqlCommand(Workload.Schema + CommitProbe.Schema, c, tx);
            await create.ExecuteNonQueryAsync(ct);
        });

        var history = new History();
        var started = Stopwatch.GetTimestamp();
        IReadOnlyList<InjectedFault> faults;
        await using (WritableMonitor.Start(cluster.Nodes, history))
        await using (CommitProbe.Start(cluster.Nodes, history))
        {
            var workload = Workload.Start(dataSource, history, profile);
            try
            {
                faults = await new FaultInjector(cluster, profile, output.WriteLine).RunAsync(started, CancellationToken.None);
                await Task.Delay(TimeSpan.FromSeconds(3)); // the workload on a healed cluster
            }
            finally
            {
                await workload.StopAsync();
            }
        }

        var (items, ticks) = await ReadFinalStateAsync(dataSource);
        var result = Checker.Check(history, items, ticks, FaultReport.StaleBound, faults);
        var report = FaultReport.Write(profile, started, faults, history, result);
        output.WriteLine(report);
        var path = profile.ReportPath ?? Path.Combine(AppContext.BaseDirectory, "fault-report.md");
        await File.WriteAllTextAsync(path, report);
        output.WriteLine($"report: {path}");

        // The run proves something only if there was work under every fault.
        Assert.True(faults.Count >= Enum.GetValues<FaultKind>().Length || !profile.EveryKindOnce, $"only {faults.Count} faults injected");
        Assert.True(history.Writes.Count(w => w.Outcome == Outcome.Ok) >= 200, "too few acknowledged writes to judge");
        Assert.True(history.Reads.Count >= 200, "too few replica reads to judge");
        Assert.True(history.ReadYourWrites.Count >= 100, "too few read-your-writes reads to judge");
        Assert.True(history.Commits.Count >= 200, "too few probe commits to time the cluster's recoveries");
        Assert.True(FaultReport.Passed(profile, result), report + "\n" + cluster.Logs());
    }

    private static async Task<(Dictionary<long, int> Items, HashSet<long> Ticks)> ReadFinalStateAsync(PgHaDataSource dataSource)
    {
        await using var connection = await dataSource.OpenConnectionAsync(TargetRole.Primary);
        var items = new Dictionary<long, int>();
        await using (var select = new NpgsqlCommand("SELECT id, count(*)::int FROM fault_items GROUP BY id", connection))
        await using (var reader = await select.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
                items[reader.GetInt64(0)] = reader.GetInt32(1);
        }

        var ticks = new HashSet<long>();
        await using (var select = new NpgsqlCommand("SELECT n FROM fault_ticks", connection))
        await using (var reader = await select.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
                ticks.Add(reader.GetInt64(0));
        }

        return (items, ticks);
    }
}
