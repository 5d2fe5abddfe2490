namespace PgHa.Testing.Internal;

/// <summary>Runs PostgreSQL's command-line tools, as the <c>postgres</c> OS user when we are root.</summary>
internal sealed class PostgresTools
{
    // Lets a pg_ctl that gives up on its own -t report why, before we kill it.
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(10);

    private readonly Dictionary<string, string?> _environment;
    private readonly string _workingDirectory;

    public PostgresTools(PostgresBinaries binaries, ServerAccount? account, string? password, string workingDirectory)
    {
        Binaries = binaries;
        Account = account;
        _workingDirectory = workingDirectory;

        // The caller's PGHOST, PGPORT, PGDATA, PGSERVICE... must not redirect our tools to another server.
        _environment = Environment.GetEnvironmentVariables().Keys.Cast<string>()
            .Where(name => name.StartsWith("PG", StringComparison.Ordinal))
            .ToDictionary(name => name, _ => (string?)null);
        _environment["PGPASSWORD"] = password;
        _environment["PGCONNECT_TIMEOUT"] = "10";
        _environment["LC_ALL"] = "C";
    }

    public PostgresBinaries Binaries { get; }

    /// <summary>The account the tools run as, or <see langword="null"/> for this process's own.</summary>
    public ServerAccount? Account { get; }

    /// <summary>Hands a file or directory we created to the account PostgreSQL runs as.</summary>
    public void Own(string path) => Account?.Own(path);

    /// <summary>The <c>-t</c> value for pg_ctl: whole seconds, at least one.</summary>
    public static string Seconds(TimeSpan timeout) => Math.Max(1, (int)Math.Ceiling(timeout.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);

    public Task<CommandResult> TryRunAsync(string tool, IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken ct)
    {
        var path = Binaries.PathOf(tool);
        var (fileName, argv) = Account is null
            ? (path, arguments)
            : ("runuser", (IReadOnlyList<string>)["-u", Account.Name, "--", path, .. arguments]);
        return ProcessRunner.RunAsync(fileName, argv, timeout + Grace, ct, _environment, _workingDirectory);
    }

    /// <summary>Runs a tool and throws <see cref="PgHarnessException"/>, with the server log's new lines, when it fails.</summary>
    public async Task<CommandResult> RunAsync(
        string tool,
        IReadOnlyList<string> arguments,
        TimeSpan timeout,
        CancellationToken ct,
        string? logPath = null,
        long logOffset = 0)
    {
        var result = await TryRunAsync(tool, arguments, timeout, ct);
        return result.Succeeded
            ? result
            : throw PgHarnessException.ForCommand(result, logPath is null ? null : ServerLog.Tail(logPath, logOffset));
    }
}
