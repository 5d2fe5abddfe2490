using System.Globalization;

namespace PgHa.LoadTest;

/// <summary>The command line, parsed and validated once.</summary>
internal sealed class LoadTestOptions
{
    public const string Usage = """
        PgHa.LoadTest: one load generator, one cluster (1 primary + 2 replicas on loopback), the same workload against
        raw Npgsql, PgHa, HAProxy, pgpool-II and Npgsql multi-host, interleaved in short rounds.

        Options (defaults in brackets):
          --clients 1,8,32          concurrent clients per cell [1,8,32]
          --mixes read,write,90/10  workloads: read, write or R/W percentages [read,write,90/10]
          --systems raw,pgha,...    raw,raw-replicas,pgha,pgha-primary,haproxy,pgpool,multihost
                                    [all; raw is required]
          --round 1s                length of one system's turn in a round: 1s, 500ms, 2 [500ms]
          --rounds 6                measured rounds per cell, after one discarded warm-up round [12]
          --rows 100000             rows in the table the operations hit [100000]
          --out PATH                markdown report [benchmarks/results/load-test.md]
          --note TEXT               a sentence for the report's header (e.g. how the machine was shared)
          --help                    this text
        """;

    public int[] Clients { get; private set; } = [1, 8, 32];

    public Mix[] Mixes { get; private set; } = [new("read", 100), new("write", 0), new("90/10", 90)];

    public SystemKind[] Systems { get; private set; } = SystemKinds.All;

    public TimeSpan RoundLength { get; private set; } = TimeSpan.FromMilliseconds(500);

    public int Rounds { get; private set; } = 12;

    public int Rows { get; private set; } = 100_000;

    public string OutputPath { get; private set; } = "benchmarks/results/load-test.md";

    public string? Note { get; private set; }

    public bool Help { get; private set; }

    public int MaxClients => Clients.Max();

    public static LoadTestOptions Parse(string[] args)
    {
        var options = new LoadTestOptions();
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            if (name is "--help" or "-h")
            {
                options.Help = true;
                continue;
            }

            if (i + 1 >= args.Length)
                throw new UsageException($"{name}: missing value (see --help).");
            var value = args[++i];
            switch (name)
            {
                case "--clients":
                    options.Clients = List(value, name).Select(c => Integer(c, name, 1, 256)).Distinct().ToArray();
                    break;
                case "--mixes":
                    options.Mixes = List(value, name).Select(Mix.Parse).DistinctBy(m => m.ReadPercent).ToArray();
                    break;
                case "--systems":
                    options.Systems = List(value, name).Select(SystemKinds.Parse).Distinct().Order().ToArray();
                    break;
                case "--round":
                    options.RoundLength = Duration(value, name);
                    break;
                case "--rounds":
                    options.Rounds = Integer(value, name, 1, 1000);
                    break;
                case "--rows":
                    options.Rows = Integer(value, name, 1000, 10_000_000);
                    break;
                case "--out":
                    options.OutputPath = string.IsNullOrWhiteSpace(value) ? throw new UsageException("--out: empty path.") : value;
                    break;
                case "--note":
                    options.Note = value;
                    break;
                default:
                    throw new UsageException($"Unknown option '{name}' (see --help).");
            }
        }

        if (!options.Systems.Contains(SystemKind.Raw))
            throw new UsageException("--systems: raw must be included; it is the baseline every ratio is taken against.");
        return options;
    }

    /// <summary>Rough wall time of the measurement, without cluster and proxy start-up.</summary>
    public TimeSpan EstimatedDuration =>
        RoundLength * ((Rounds + 1) * Systems.Length * Clients.Length * Mixes.Length) * 1.05;

    public string CommandLine(string[] args) =>
        "dotnet run -c Release --project benchmarks/PgHa.LoadTest" + (args.Length == 0 ? "" : " -- " + string.Join(' ', args.Select(Quote)));

    private static string Quote(string arg) =>
        arg.Length > 0 && arg.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ',' or '/' or '=' or ':')
            ? arg
            : "'" + arg.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static string[] List(string value, string name)
    {
        var items = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return items.Length > 0 ? items : throw new UsageException($"{name}: give at least one value.");
    }

    private static int Integer(string text, string name, int min, int max) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new UsageException($"{name}: '{text}' is not a whole number from {min} to {max}.");

    private static TimeSpan Duration(string text, string name)
    {
        var (number, scale) = text.EndsWith("ms", StringComparison.OrdinalIgnoreCase) ? (text[..^2], 0.001)
            : text.EndsWith('s') ? (text[..^1], 1.0)
            : (text, 1.0);
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
            throw new UsageException($"{name}: '{text}' is not a duration (e.g. 1s, 500ms, 2).");
        var duration = TimeSpan.FromSeconds(value * scale);
        return duration >= TimeSpan.FromMilliseconds(100) && duration <= TimeSpan.FromSeconds(60)
            ? duration
            : throw new UsageException($"{name}: {text} is out of range (100ms to 60s).");
    }
}
