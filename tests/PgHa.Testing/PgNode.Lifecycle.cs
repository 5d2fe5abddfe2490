using System.Runtime.Versioning;
using PgHa.Testing.Internal;

namespace PgHa.Testing;

public sealed partial class PgNode
{
    /// <summary>Starts the server (<c>pg_ctl start -w</c>) as a primary or standby, as its data directory says.</summary>
    /// <remarks>Does nothing when it is already running. Works after <see cref="Kill"/>, which leaves <c>postmaster.pid</c> behind.</remarks>
    /// <param name="ct">Cancels the wait.</param>
    /// <returns>A task that completes once the server accepts connections.</returns>
    /// <exception cref="PgHarnessException">The server did not start within the cluster's timeout.</exception>
    public async Task StartAsync(CancellationToken ct = default)
    {
        if (IsRunning)
            return;
        await PostmasterPidFile.ClearStaleAsync(DataDirectory, _context.Timeout, ct);
        await RunPgCtlAsync(["start", "-D", DataDirectory, "-l", LogFile, "-w"], ct);
    }

    /// <summary>Stops the server (<c>pg_ctl stop -m mode -w</c>); a frozen server is thawed first.</summary>
    /// <param name="mode">How to shut down. Default: <see cref="PgStopMode.Fast"/>.</param>
    /// <param name="ct">Cancels the wait.</param>
    /// <returns>A task that completes once the server is down; at once when it was not running.</returns>
    /// <exception cref="PgHarnessException">The server did not stop within the cluster's timeout.</exception>
    public async Task StopAsync(PgStopMode mode = PgStopMode.Fast, CancellationToken ct = default)
    {
        if (PostmasterPid is not { } pid)
            return;

        // A stopped process would only act on pg_ctl's signal once continued.
        Signals.ContinueTree(pid);
        var modeName = mode switch
        {
            PgStopMode.Smart => "smart",
            PgStopMode.Fast => "fast",
            PgStopMode.Immediate => "immediate",
            _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, null),
        };
        await RunPgCtlAsync(["stop", "-D", DataDirectory, "-m", modeName, "-w"], ct);
    }

    /// <summary>Creates the data directory (initdb, through a per-process template) and writes the node's configuration.</summary>
    [SupportedOSPlatform("linux")]
    internal async Task InitializeAsync(CancellationToken ct)
    {
        EnsureNodeDirectory();
        List<string> arguments =
        [
            "-U", _context.Username, "-E", "UTF8", "--locale=C", "--auth-local=trust", "--auth-host=trust", "--no-sync",
        ];
        if (_context.DataChecksums)
            arguments.Add("--data-checksums");
        await InitdbTemplate.CreateAsync(DataDirectory, arguments, _context.Password, _context.Tools, _context.Timeout, ct);

        NodeConfig.AppendServerSettings(DataDirectory, _context.Settings);
        NodeConfig.WriteHba(DataDirectory, requirePassword: _context.Password is not null);
        NodeConfig.SetPort(DataDirectory, Port, _context.Tools.Own);
    }

    /// <summary>Copies <paramref name="source"/> with pg_basebackup and makes this node its standby, through a slot named after it.</summary>
    internal async Task CloneFromAsync(PgNode source, CancellationToken ct)
    {
        // Made up front because it reserves WAL at once: with pg_basebackup -C, a concurrent clone's fast checkpoint
        // can recycle the segment this clone is about to stream before its slot exists.
        await source.EnsureSlotAsync(Name, ct);
        EnsureNodeDirectory();
        string[] arguments =
        [
            "-h", Host, "-p", source.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-U", _context.Username, "-D", DataDirectory,
            "-R", "-S", Name, "-X", "stream", "--checkpoint=fast", "--no-sync",
        ];
        await _context.Tools.RunAsync("pg_basebackup", arguments, _context.Timeout, ct, source.LogFile, ServerLog.Length(source.LogFile));

        // The copy carries the source's port and upstream settings; replace them with our own.
        NodeConfig.SetUpstream(DataDirectory, Port, PrimaryConninfo(source), Name, _context.Tools.Own);
    }

    /// <summary>Moves a stopped node to another port (its port was taken before it could bind it).</summary>
    internal void MoveToPort(int port)
    {
        Port = port;
        NodeConfig.SetPort(DataDirectory, port, _context.Tools.Own);
    }

    private async Task RunPgCtlAsync(IReadOnlyList<string> arguments, CancellationToken ct)
    {
        var logOffset = ServerLog.Length(LogFile);
        await _context.Tools.RunAsync(
            "pg_ctl", [.. arguments, "-t", PostgresTools.Seconds(_context.Timeout)], _context.Timeout, ct, LogFile, logOffset);
    }

    private void EnsureNodeDirectory()
    {
        if (Directory.Exists(NodeDirectory))
            return;
        Directory.CreateDirectory(NodeDirectory);
        _context.Tools.Own(NodeDirectory);
    }
}
