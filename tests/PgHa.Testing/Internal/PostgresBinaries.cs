using System.Globalization;
using System.Text.RegularExpressions;

namespace PgHa.Testing.Internal;

/// <summary>Finds a usable PostgreSQL installation and its major version.</summary>
internal sealed partial record PostgresBinaries(string Directory, int MajorVersion)
{
    public const string EnvironmentVariable = "PGHA_PG_BIN";
    private const int MinimumMajorVersion = 13;
    private static readonly string[] RequiredTools = ["postgres", "initdb", "pg_ctl", "pg_basebackup", "pg_rewind"];
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(10);

    public string PathOf(string tool) => Path.Combine(Directory, tool);

    public static async Task<PostgresBinaries> ResolveAsync(string? configured, CancellationToken ct)
    {
        var directory = ExplicitDirectory(configured) ?? await DiscoverAsync(ct)
            ?? throw new PgHarnessException(
                "Could not find PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup, pg_rewind). Install the "
                + $"PostgreSQL server, or set PgClusterOptions.BinDirectory or the {EnvironmentVariable} environment variable.");
        var version = await ReadMajorVersionAsync(directory, ct);
        if (version < MinimumMajorVersion)
        {
            throw new PgHarnessException(
                $"PostgreSQL {version} in {directory} is too old; the harness needs {MinimumMajorVersion} or newer "
                + "(reloadable primary_conninfo, pg_rewind's automatic crash recovery).");
        }

        return new PostgresBinaries(directory, version);
    }

    private static string? ExplicitDirectory(string? configured)
    {
        var (directory, source) = configured is not null
            ? (configured, nameof(PgClusterOptions.BinDirectory))
            : (Environment.GetEnvironmentVariable(EnvironmentVariable), EnvironmentVariable);
        if (string.IsNullOrWhiteSpace(directory))
            return null;
        return HasAllTools(directory)
            ? Path.GetFullPath(directory)
            : throw new PgHarnessException(
                $"{source} points at '{directory}', which lacks one of: {string.Join(", ", RequiredTools)}.");
    }

    private static async Task<string?> DiscoverAsync(CancellationToken ct)
    {
        var fromPgConfig = await PgConfigBinDirectoryAsync(ct);
        if (fromPgConfig is not null && HasAllTools(fromPgConfig))
            return fromPgConfig;

        var candidates = NewestFirst("/usr/lib/postgresql", "*")
            .Concat(NewestFirst("/usr", "pgsql-*"))
            .Select(d => Path.Combine(d, "bin"))
            .Append("/usr/local/pgsql/bin")
            .Concat((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries));
        return candidates.FirstOrDefault(HasAllTools);
    }

    private static async Task<string?> PgConfigBinDirectoryAsync(CancellationToken ct)
    {
        try
        {
            var result = await ProcessRunner.RunAsync("pg_config", ["--bindir"], ProbeTimeout, ct);
            return result.Succeeded ? result.StandardOutput.Trim() : null;
        }
        catch (PgHarnessException)
        {
            return null;
        }
    }

    private static IEnumerable<string> NewestFirst(string parent, string pattern) =>
        System.IO.Directory.Exists(parent)
            ? System.IO.Directory.EnumerateDirectories(parent, pattern)
                .OrderByDescending(d => VersionOf(Path.GetFileName(d)))
            : [];

    private static Version VersionOf(string name)
    {
        var digits = VersionPattern().Match(name);
        return digits.Success && Version.TryParse(digits.Value.Contains('.', StringComparison.Ordinal) ? digits.Value : digits.Value + ".0", out var v)
            ? v
            : new Version(0, 0);
    }

    private static bool HasAllTools(string directory) =>
        RequiredTools.All(tool => File.Exists(Path.Combine(directory, tool)));

    private static async Task<int> ReadMajorVersionAsync(string directory, CancellationToken ct)
    {
        // "postgres (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)"; postgres answers --version even as root.
        var result = await ProcessRunner.RunAsync(Path.Combine(directory, "postgres"), ["--version"], ProbeTimeout, ct);
        var match = MajorVersionPattern().Match(result.StandardOutput);
        return result.Succeeded && match.Success
            ? int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture)
            : throw PgHarnessException.ForCommand(result, null);
    }

    [GeneratedRegex(@"\d+(\.\d+)?")]
    private static partial Regex VersionPattern();

    [GeneratedRegex(@"\(PostgreSQL\) (\d+)")]
    private static partial Regex MajorVersionPattern();
}
