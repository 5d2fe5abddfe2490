using System.Diagnostics;
using System.Globalization;

namespace PgHa.LoadTest;

/// <summary>One row of pgpool-II's <c>SHOW pool_nodes</c>.</summary>
internal sealed record PoolNode(int Port, string Status, string Role, long SelectCount)
{
    /// <summary>
    /// Runs <c>SHOW pool_nodes</c> with psql: pgpool answers it only over the simple query protocol, and Npgsql always
    /// uses the extended one (pgpool then forwards the statement to PostgreSQL, which rejects it).
    /// </summary>
    public static async Task<List<PoolNode>> ReadAsync(int port, CancellationToken ct)
    {
        var start = new ProcessStartInfo(Psql())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            ArgumentList = { "-X", "-A", "-F", "|", "-h", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "-U", "postgres", "-d", "postgres", "-c", "SHOW pool_nodes" },
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start psql.");
        var output = await process.StandardOutput.ReadToEndAsync(ct);
        var error = await process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"psql SHOW pool_nodes failed: {error.Trim()}");

        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var header = lines[0].Split('|');
        int Column(string name) => Array.IndexOf(header, name) is var i and >= 0 ? i : throw new InvalidOperationException($"SHOW pool_nodes has no column {name}: {lines[0]}");
        var (portColumn, statusColumn, roleColumn, selectColumn) = (Column("port"), Column("status"), Column("role"), Column("select_cnt"));
        return lines.Skip(1).Select(l => l.Split('|')).Where(f => f.Length == header.Length)
            .Select(f => new PoolNode(
                int.Parse(f[portColumn], CultureInfo.InvariantCulture),
                f[statusColumn],
                f[roleColumn],
                long.Parse(f[selectColumn], CultureInfo.InvariantCulture)))
            .ToList();
    }

    /// <summary>pgpool accepts clients before its first checks have found the primary; wait until they have.</summary>
    public static async Task WaitUntilReadyAsync(int port, int backends, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        var last = "";
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                var nodes = await ReadAsync(port, ct);
                last = string.Join("; ", nodes);
                if (nodes.Count == backends && nodes.All(n => n.Status is "up" or "waiting") && nodes.Count(n => n.Role == "primary") == 1)
                    return;
            }
            catch (InvalidOperationException e)
            {
                last = e.Message;
            }

            await Task.Delay(250, ct);
        }

        throw new InvalidOperationException($"pgpool-II did not report {backends} backends up with one primary in 30 s (last: {last}).");
    }

    private static string Psql() =>
        new[] { Environment.GetEnvironmentVariable("PGHA_PG_BIN") }
            .Concat(Directory.Exists("/usr/lib/postgresql") ? Directory.GetDirectories("/usr/lib/postgresql").OrderDescending().Select(d => Path.Combine(d, "bin")) : [])
            .Append("/usr/bin")
            .Where(d => d is not null)
            .Select(d => Path.Combine(d!, "psql"))
            .FirstOrDefault(File.Exists)
        ?? throw new UsageException("psql not found (needed to read pgpool-II's SHOW pool_nodes); install postgresql-client.");
}
