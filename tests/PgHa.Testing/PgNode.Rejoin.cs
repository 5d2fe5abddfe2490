using PgHa.Testing.Internal;

namespace PgHa.Testing;

public sealed partial class PgNode
{
    /// <summary>
    /// Turns a former primary (running, stopped or killed) into a standby of <paramref name="newPrimary"/>: stops it
    /// (fast) if running, rewinds it with <c>pg_rewind</c> (falling back to a fresh <c>pg_basebackup</c> when that fails),
    /// writes <c>standby.signal</c> and <c>primary_conninfo</c> with a slot on the new primary, starts it and waits
    /// until it streams and has caught up.
    /// </summary>
    /// <param name="newPrimary">The node to replicate from.</param>
    /// <param name="useRewind">Whether to try pg_rewind first; <see langword="false"/> always re-clones. Default: <see langword="true"/>.</param>
    /// <param name="ct">Cancels the operation.</param>
    /// <returns>A task that completes once this node streams from <paramref name="newPrimary"/>.</returns>
    /// <exception cref="PgHarnessException">Neither rewinding nor re-cloning worked, or the node did not come back in time.</exception>
    public async Task RejoinAsReplicaAsync(PgNode newPrimary, bool useRewind = true, CancellationToken ct = default)
    {
        RequireOtherNode(newPrimary);
        await StopAsync(PgStopMode.Fast, ct);

        // pg_rewind runs crash recovery in single-user mode first, which needs the lock file of a killed node gone.
        await PostmasterPidFile.ClearStaleAsync(DataDirectory, _context.Timeout, ct);
        await newPrimary.EnsureSlotAsync(Name, ct);

        var rewindFailure = useRewind ? await TryRewindAsync(newPrimary, ct) : "not requested";
        if (rewindFailure is null)
            DropOwnSlots();
        else
            await ReCloneAsync(newPrimary, rewindFailure, ct);

        // pg_rewind copies the new primary's configuration files over ours.
        NodeConfig.SetUpstream(DataDirectory, Port, PrimaryConninfo(newPrimary), Name, _context.Tools.Own);
        await StartAsync(ct);
        await WaitForCatchUpAsync(newPrimary, ct);
    }

    /// <summary>Returns <see langword="null"/> when rewound (or no rewind was needed), else why it failed.</summary>
    private async Task<string?> TryRewindAsync(PgNode source, CancellationToken ct)
    {
        // pg_rewind (before PostgreSQL 16) takes the source's timeline from its last checkpoint; right after a promotion
        // that is still the old timeline, and it wrongly concludes "no rewind required".
        await source.ExecuteAsync("CHECKPOINT", ct);
        var sourceServer = Conninfo.Build(
            ("host", source.Host),
            ("port", source.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("user", _context.Username),
            ("dbname", _context.Database));
        var result = await _context.Tools.TryRunAsync(
            "pg_rewind", ["-D", DataDirectory, $"--source-server={sourceServer}", "--no-sync"], _context.Timeout, ct);
        return result.Succeeded
            ? null
            : $"'{result.CommandLine}' exited with code {result.ExitCode}: {result.StandardError.Trim()}";
    }

    // pg_rewind leaves the target's own slots (for its former replicas) in place; a standby should not hold WAL for them.
    private void DropOwnSlots()
    {
        var slots = Path.Combine(DataDirectory, "pg_replslot");
        if (!Directory.Exists(slots))
            return;
        foreach (var slot in Directory.EnumerateDirectories(slots))
            Directory.Delete(slot, recursive: true);
    }

    private async Task ReCloneAsync(PgNode source, string rewindFailure, CancellationToken ct)
    {
        if (Directory.Exists(DataDirectory))
            Directory.Delete(DataDirectory, recursive: true);
        try
        {
            await CloneFromAsync(source, ct);
        }
        catch (PgHarnessException e)
        {
            throw new PgHarnessException($"Could not rejoin {this}: pg_rewind {rewindFailure}; re-cloning failed too: {e.Message}", e);
        }
    }
}
