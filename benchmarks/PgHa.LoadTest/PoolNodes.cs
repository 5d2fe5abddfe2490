using System.Globalization;
using Npgsql;

namespace PgHa.LoadTest;

/// <summary>One row of pgpool-II's <c>SHOW pool_nodes</c>.</summary>
internal sealed record PoolNode(int Port, string Status, string Role, long SelectCount)
{
    public static async Task<List<PoolNode>> ReadAsync(string connectionString, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand("SHOW pool_nodes", connection);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<PoolNode>();
        while (await reader.ReadAsync(ct))
        {
            rows.Add(new(
                int.Parse(Text(reader, "port"), CultureInfo.InvariantCulture),
                Text(reader, "status"),
                Text(reader, "role"),
                long.Parse(Text(reader, "select_cnt"), CultureInfo.InvariantCulture)));
        }

        return rows;
    }

    /// <summary>pgpool accepts clients before its first checks have found the primary; wait until they have.</summary>
    public static async Task WaitUntilReadyAsync(string connectionString, int backends, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        var last = "";
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                var nodes = await ReadAsync(connectionString, ct);
                last = string.Join("; ", nodes);
                if (nodes.Count == backends && nodes.All(n => n.Status is "up" or "waiting") && nodes.Count(n => n.Role == "primary") == 1)
                    return;
            }
            catch (NpgsqlException e)
            {
                last = e.Message;
            }

            await Task.Delay(250, ct);
        }

        throw new InvalidOperationException($"pgpool-II did not report {backends} backends up with one primary in 30 s (last: {last}).");
    }

    private static string Text(NpgsqlDataReader reader, string column) => reader.GetValue(reader.GetOrdinal(column)).ToString() ?? "";
}
