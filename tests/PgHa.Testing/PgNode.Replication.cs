using PgHa.Testing.Internal;

namespace PgHa.Testing;

public sealed partial class PgNode
{
    /// <summary>Promotes this standby to primary (<c>pg_ctl promote</c>).</summary>
    /// <param name="wait">Whether to wait until the node accepts writes. Default: <see langword="true"/>.</param>
    /// <param name="ct">Cancels the wait.</param>
    /// <returns>A task that completes once promoted (or once asked to, when <paramref name="wait"/> is false).</returns>
    /// <exception cref="PgHarnessException">The node is not a standby, or did not finish promoting in time.</exception>
    public async Task PromoteAsync(bool wait = true, CancellationToken ct = default)
    {
        await RunPgCtlAsync(["promote", "-D", DataDirectory, wait ? "-w" : "-W"], ct);
        if (wait)
        {
            await Poll.UntilAsync(
                async t => !await QueryAsync<bool>("SELECT pg_is_in_recovery()", [], t),
                _context.Timeout,
                () => $"{this} to accept writes after promotion",
                ct);
        }
    }

    /// <summary>Pauses WAL replay on this standby (<c>pg_wal_replay_pause()</c>): it keeps receiving but shows no new changes.</summary>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>A task that completes once the pause is requested; no further WAL record is applied after it.</returns>
    public Task PauseReplayAsync(CancellationToken ct = default) => ExecuteAsync("SELECT pg_wal_replay_pause()", ct);

    /// <summary>Resumes WAL replay on this standby (<c>pg_wal_replay_resume()</c>).</summary>
    /// <param name="ct">Cancels the call.</param>
    /// <returns>A task that completes once replay is resumed.</returns>
    public Task ResumeReplayAsync(CancellationToken ct = default) => ExecuteAsync("SELECT pg_wal_replay_resume()", ct);

    /// <summary>Waits until this standby has replayed all WAL that <paramref name="primary"/> had written when called.</summary>
    /// <param name="primary">The node whose WAL position is the target (its replay position if it is itself a standby).</param>
    /// <param name="timeout">How long to wait.</param>
    /// <param name="ct">Cancels the wait.</param>
    /// <returns>A task that completes once <c>pg_last_wal_replay_lsn()</c> reaches the target.</returns>
    /// <exception cref="PgHarnessException">The target was not reached within <paramref name="timeout"/>.</exception>
    public async Task WaitForReplayAsync(PgNode primary, TimeSpan timeout, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(primary);
        var target = await primary.QueryAsync<string>(
            "SELECT (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END)::text", [], ct);
        await Poll.UntilAsync(
            async t => await QueryAsync<bool>("SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn", [target!], t),
            timeout,
            () => $"{this} to replay {primary}'s WAL up to {target}",
            ct);
    }

    /// <summary>
    /// Repoints this standby at <paramref name="newPrimary"/>: creates a replication slot named after this node there if
    /// missing, sets <c>primary_conninfo</c> and <c>primary_slot_name</c> (ALTER SYSTEM + reload; the timeline follows the
    /// new primary since <c>recovery_target_timeline</c> is <c>latest</c>), then waits until it streams from it and has
    /// replayed what it had written.
    /// </summary>
    /// <remarks>A stopped node only gets its configuration rewritten; it follows once started.</remarks>
    /// <param name="newPrimary">The node to replicate from.</param>
    /// <param name="ct">Cancels the wait.</param>
    /// <returns>A task that completes once this node streams from <paramref name="newPrimary"/> and has caught up.</returns>
    /// <exception cref="InvalidOperationException">This node is a running primary; use <see cref="RejoinAsReplicaAsync"/>.</exception>
    public async Task FollowAsync(PgNode newPrimary, CancellationToken ct = default)
    {
        RequireOtherNode(newPrimary);
        await newPrimary.EnsureSlotAsync(Name, ct);
        var conninfo = PrimaryConninfo(newPrimary);
        if (!IsRunning)
        {
            NodeConfig.SetUpstream(DataDirectory, Port, conninfo, Name, _context.Tools.Own);
            return;
        }

        if (!await QueryAsync<bool>("SELECT pg_is_in_recovery()", [], ct))
            throw new InvalidOperationException($"{this} is a primary; a primary cannot follow. Use {nameof(RejoinAsReplicaAsync)}.");

        // ALTER SYSTEM refuses to run inside a transaction, so one statement per command.
        await ExecuteAsync($"ALTER SYSTEM SET primary_conninfo = {SqlText.Literal(conninfo)}", ct);
        await ExecuteAsync($"ALTER SYSTEM SET primary_slot_name = {SqlText.Literal(Name)}", ct);
        await ExecuteAsync("SELECT pg_reload_conf()", ct);
        await WaitForCatchUpAsync(newPrimary, ct);
    }

    /// <summary>Waits until this standby streams from <paramref name="upstream"/> and has replayed what it had written.</summary>
    /// <remarks>
    /// Streaming alone proves little: a standby whose WAL went past the point where the upstream's timeline forked
    /// connects, streams briefly, and then retries forever ("new timeline forked off ... before current recovery point").
    /// </remarks>
    internal async Task WaitForCatchUpAsync(PgNode upstream, CancellationToken ct)
    {
        try
        {
            await WaitForStreamingAsync(upstream, ct);
            await WaitForReplayAsync(upstream, _context.Timeout, ct);
        }
        catch (PgHarnessException e) when (e.LogTail is null)
        {
            var logTail = ServerLog.Tail(LogFile);
            throw new PgHarnessException(e.Message + PgHarnessException.Section("server log (tail)", logTail), e) { LogTail = logTail };
        }
    }

    internal Task WaitForStreamingAsync(PgNode upstream, CancellationToken ct) =>
        Poll.UntilAsync(
            t => QueryAsync<bool>(
                "SELECT EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming' AND sender_port = $1)",
                [upstream.Port],
                t),
            _context.Timeout,
            () => $"{this} to stream from {upstream}",
            ct);

    /// <summary>Creates a physical replication slot on this node unless it exists; it reserves WAL at once.</summary>
    internal Task EnsureSlotAsync(string slot, CancellationToken ct) =>
        QueryAsync<object>(
            "SELECT pg_create_physical_replication_slot($1::name, true) "
            + "WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1::name)",
            [slot],
            ct);

    private string PrimaryConninfo(PgNode upstream) =>
        Conninfo.Build(
            ("host", upstream.Host),
            ("port", upstream.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("user", _context.Username),
            ("password", _context.Password),
            ("application_name", Name));

    private void RequireOtherNode(PgNode other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (ReferenceEquals(other, this))
            throw new ArgumentException($"{this} cannot replicate from itself.", nameof(other));
    }
}
