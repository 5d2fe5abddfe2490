using System.Text;
using Npgsql;
using PgHa.Client;
using PgHa.Testing;

namespace PgHa.Benchmarks;

/// <summary>
/// What a write through <c>ExecuteWriteAsync</c> costs next to the same transaction on raw Npgsql (open, BEGIN,
/// one-row INSERT, COMMIT, close), with commit markers (the default: the marker INSERT and the consistency token
/// travel in COMMIT's round trip) and without them.
/// </summary>
internal static class WriteCost
{
    public static async Task<string> RunAsync(int[] clientCounts)
    {
        await using var cluster = await PgCluster.StartAsync(new PgClusterOptions { Replicas = 1 });
        await cluster.Nodes[0].ExecuteAsync("CREATE TABLE events(id bigserial PRIMARY KEY, payload text NOT NULL)");
        await using var raw = NpgsqlDataSource.Create(cluster.Nodes[0].ConnectionString);
        await using var withMarkers = new PgHaDataSourceBuilder(cluster.ConnectionString).Build();
        var builder = new PgHaDataSourceBuilder(cluster.ConnectionString);
        builder.Options.ResolveInDoubtCommits = false;
        await using var withoutMarkers = builder.Build();
        await withMarkers.EnsureCommitMarkerTableAsync();

        var report = new StringBuilder();
        report.AppendLine(PairedRounds.Method);
        report.AppendLine();
        report.AppendLine("| clients | PgHa variant " + PairedRounds.Header);
        report.AppendLine("|---:|---|---:|---:|---:|---:|---:|");
        foreach (var clients in clientCounts)
        {
            foreach (var (name, pgha) in new[] { ("ExecuteWriteAsync, commit markers on (default)", withMarkers), ("ExecuteWriteAsync, commit markers off", withoutMarkers) })
                report.AppendLine($"| {clients} | {name} " + await PairedRounds.CompareAsync(() => RawWriteAsync(raw), () => pgha.ExecuteWriteAsync((c, t, ct) => InsertAsync(c, t, ct)), clients));
        }

        return report.ToString();
    }

    private static async Task RawWriteAsync(NpgsqlDataSource raw)
    {
        await using var connection = await raw.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await InsertAsync(connection, transaction, CancellationToken.None);
        await transaction.CommitAsync();
    }

    private static async Task InsertAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken ct)
    {
        await using var insert = new NpgsqlCommand("INSERT INTO events(payload) VALUES ('x')", connection, transaction);
        await insert.ExecuteNonQueryAsync(ct);
    }
}
