using System.Globalization;
using Npgsql;
using PgHa.Agent.Configuration;

namespace PgHa.Agent.Postgres;

/// <summary>
/// Drives the local PostgreSQL: initdb, start, stop, promote, state. Everything goes through PostgreSQL's own tools
/// (pg_ctl, initdb, pg_basebackup, pg_rewind) or SQL; the agent never edits data files itself, only
/// <c>postgresql.auto.conf</c> (through <c>ALTER SYSTEM</c> when running, or the file when stopped) and <c>standby.signal</c>.
/// </summary>
internal sealed partial class PostgresController
{
    internal static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(60);
    private readonly AgentOptions _options;
    private readonly CommandRunner _tools;

    public PostgresController(AgentOptions options)
    {
        _options = options;
        _tools = new CommandRunner(options.BinDirectory, Environment.IsPrivilegedProcess ? options.OsUser ?? "postgres" : options.OsUser);
        AgentOptionsValidator.TryParseAddress(options.Listen, out var host, out var port);
        (Host, Port) = (host, port);
    }

    public string Host { get; }

    public int Port { get; }

    public string DataDirectory => _options.DataDirectory;

    /// <summary>A connection string to the local server as the superuser.</summary>
    public string ConnectionString => new NpgsqlConnectionStringBuilder
    {
        Host = Host,
        Port = Port,
        Username = _options.Superuser,
        Password = _options.SuperuserPassword,
        Database = "postgres",
        Pooling = false,
        Timeout = 3,
        ApplicationName = "pgha-agent",
    }.ConnectionString;

    /// <summary>Whether the data directory holds a cluster (PG_VERSION exists).</summary>
    public bool IsInitialized => File.Exists(Path.Combine(DataDirectory, "PG_VERSION"));

    /// <summary>Creates the cluster with data checksums (needed, with wal_log_hints, for pg_rewind) and the agent's settings.</summary>
    public async Task InitDbAsync(CancellationToken ct)
    {
        PrepareDirectory(DataDirectory);
        var auth = _options.SuperuserPassword is null ? "trust" : "scram-sha-256";
        var arguments = new List<string> { "-D", DataDirectory, "--data-checksums", "-U", _options.Superuser, $"--auth-local={_options.LocalAuthentication}", $"--auth-host={auth}" };
        string? passwordDirectory = null;
        if (_options.SuperuserPassword is { } password)
        {
            // A directory only the server's OS user may enter, created so from the start, then the file (0600) in it.
            passwordDirectory = Directory.CreateTempSubdirectory("pgha-initdb-").FullName;
            Own(passwordDirectory);
            var passwordFile = Path.Combine(passwordDirectory, "pwfile");
            Passfile.Write(passwordFile, password, Own);
            arguments.Add($"--pwfile={passwordFile}");
        }

        try
        {
            await _tools.RunAsync("initdb", arguments, ToolTimeout, ct).ConfigureAwait(false);
        }
        finally
        {
            if (passwordDirectory is not null)
                Directory.Delete(passwordDirectory, recursive: true);
        }

        await File.AppendAllTextAsync(Path.Combine(DataDirectory, "postgresql.conf"), BaseSettings(), ct).ConfigureAwait(false);
        // First match wins in pg_hba.conf: the configured lines, then the agent's roles, go above initdb's loopback rules.
        var lines = _options.PgHba.Concat(RoleHbaLines()).ToList();
        if (lines.Count > 0)
        {
            var hba = Path.Combine(DataDirectory, "pg_hba.conf");
            var defaults = await File.ReadAllTextAsync(hba, ct).ConfigureAwait(false);
            await File.WriteAllTextAsync(hba, "# PgHa:Agent:PgHba\n" + string.Join('\n', lines) + "\n\n" + defaults, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Starts the server and waits until it accepts connections (as a primary, or a hot standby).</summary>
    public Task StartAsync(CancellationToken ct) => StartAsync(wait: true, ct);

    /// <summary>
    /// Starts the server; with <paramref name="wait"/> false, returns once the postmaster runs, so the HA loop keeps
    /// renewing its lease while crash recovery runs (the server answers when it is done).
    /// </summary>
    public async Task StartAsync(bool wait, CancellationToken ct)
    {
        // listen_addresses and port go into postgresql.auto.conf, not through pg_ctl -o, which hands them to /bin/sh.
        // Written at every start: a clone or a rewind copies the source's file.
        await WriteAutoConfAsync([("listen_addresses", Host), ("port", Port.ToString(CultureInfo.InvariantCulture))], ct).ConfigureAwait(false);
        WritePassfile();
        await _tools.RunAsync("pg_ctl", ["start", "-D", DataDirectory, wait ? "-w" : "-W", "-t", Seconds(ToolTimeout), "-l", LogFile], ToolTimeout + TimeSpan.FromSeconds(5), ct).ConfigureAwait(false);
        // Without -w pg_ctl returns before the postmaster writes its pid file; until then the server looks stopped,
        // and the next cycle must not take it for one (and, say, rewind under a starting server).
        var pidFile = Path.Combine(DataDirectory, "postmaster.pid");
        for (var i = 0; i < 100 && !File.Exists(pidFile); i++)
            await Task.Delay(TimeSpan.FromMilliseconds(50), ct).ConfigureAwait(false);
    }

    /// <summary>Stops the server: <c>fast</c> (roll back, checkpoint) or <c>immediate</c> (no checkpoint: a self-demotion that must be quick).</summary>
    public async Task StopAsync(bool immediate, CancellationToken ct)
    {
        if (!await IsRunningAsync(ct).ConfigureAwait(false))
            return;
        await _tools.RunAsync("pg_ctl", ["stop", "-D", DataDirectory, "-m", immediate ? "immediate" : "fast", "-w", "-t", Seconds(ToolTimeout)], ToolTimeout + TimeSpan.FromSeconds(5), ct).ConfigureAwait(false);
    }

    /// <summary>Promotes a standby and waits until it accepts writes.</summary>
    public Task PromoteAsync(CancellationToken ct) => PromoteAsync(ToolTimeout, ct);

    /// <summary>
    /// Promotes a standby and waits up to <paramref name="wait"/> (whole seconds, at least 1) for it to accept writes;
    /// <see langword="false"/> if it is still replaying then (the promotion goes on; ask again later).
    /// </summary>
    public async Task<bool> PromoteAsync(TimeSpan wait, CancellationToken ct)
    {
        var seconds = Math.Max(1, (int)wait.TotalSeconds);
        var (exitCode, output) = await _tools.TryRunAsync("pg_ctl", ["promote", "-D", DataDirectory, "-w", "-t", seconds.ToString(CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(seconds + 2), ct).ConfigureAwait(false);
        if (exitCode == 0)
            return true;
        if (output.Contains("did not promote in time", StringComparison.Ordinal))
            return false;
        throw new PostgresCommandException($"pg_ctl promote failed with exit code {exitCode}: {output.Trim()}", exitCode);
    }

    /// <summary>Whether a postmaster runs on the data directory (pg_ctl status).</summary>
    public async Task<bool> IsRunningAsync(CancellationToken ct)
    {
        var (exitCode, _) = await _tools.TryRunAsync("pg_ctl", ["status", "-D", DataDirectory], TimeSpan.FromSeconds(10), ct).ConfigureAwait(false);
        return exitCode == 0;
    }

    /// <summary>The server's log (pg_ctl's <c>-l</c>), next to the data directory.</summary>
    public string LogFile => Path.TrimEndingDirectorySeparator(DataDirectory) + ".log";

    internal static string Seconds(TimeSpan t) => ((int)Math.Ceiling(t.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    private static string BaseSettings() => """

        # Added by pgha-agent
        wal_level = replica
        hot_standby = on
        wal_log_hints = on
        max_wal_senders = 10
        max_replication_slots = 10
        wal_keep_size = 128MB
        hot_standby_feedback = on

        """;

    /// <summary>Creates the directory (mode 0700, as PostgreSQL requires) owned by the server's OS user.</summary>
    private void PrepareDirectory(string path)
    {
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException("pgha-agent runs on Linux.");
        Directory.CreateDirectory(path);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Own(path);
    }

    private void Own(string path)
    {
        if (_tools.OsUser is { } user)
            System.Diagnostics.Process.Start("chown", ["-R", $"{user}:{user}", path])!.WaitForExit();
    }
}
