using System.Globalization;
using Npgsql;

namespace PgHa.Agent.Postgres;

internal sealed partial class PostgresController
{
    /// <summary>Makes this node a standby clone of the upstream, streaming through a replication slot named after this member.</summary>
    /// <remarks>
    /// The copy goes to a directory next to the data directory and replaces it only once complete, so a clone that
    /// fails (or an agent killed halfway) never costs the data the node had.
    /// </remarks>
    public async Task CloneAsync(string upstreamHost, int upstreamPort, CancellationToken ct)
    {
        var data = Path.TrimEndingDirectorySeparator(DataDirectory);
        var (clone, old) = (data + ".clone", data + ".old");
        foreach (var leftover in new[] { clone, old })
        {
            if (Directory.Exists(leftover))
                Directory.Delete(leftover, recursive: true);
        }

        PrepareDirectory(clone);
        WritePassfile();
        // The leader also creates slots for the members it sees; whoever is first wins, so create-if-missing here.
        await EnsureSlotAsync(UpstreamConnectionString(upstreamHost, upstreamPort), SlotName, ct).ConfigureAwait(false);
        await _tools.RunAsync("pg_basebackup",
        [
            "-D", clone, "-d", ReplicationConnInfo(upstreamHost, upstreamPort), "-X", "stream", "-c", "fast", "-S", SlotName,
        ], TimeSpan.FromMinutes(30), ct).ConfigureAwait(false);
        // No -R: it would write the connection string pg_basebackup used, password and all; SetUpstreamAsync writes ours.
        if (Directory.Exists(data))
            Directory.Move(data, old);
        Directory.Move(clone, data);
        if (Directory.Exists(old))
            Directory.Delete(old, recursive: true);
        await SetUpstreamAsync(upstreamHost, upstreamPort, ct).ConfigureAwait(false);
    }

    /// <summary>Whether <paramref name="host"/>:<paramref name="port"/> answers as a writable primary now (the only source worth rewinding from or cloning).</summary>
    public async Task<bool> IsWritablePrimaryAsync(string host, int port, CancellationToken ct)
    {
        try
        {
            return await ScalarAsync(UpstreamConnectionString(host, port), "SELECT NOT pg_is_in_recovery()", ct).ConfigureAwait(false) is true;
        }
        catch (NpgsqlException)
        {
            return false;
        }
    }

    /// <summary>
    /// Points this (stopped) node at a new upstream: <c>primary_conninfo</c>, its slot, <c>recovery_target_timeline = latest</c>
    /// in <c>postgresql.auto.conf</c>, and <c>standby.signal</c>. Takes effect at the next start.
    /// </summary>
    public async Task SetUpstreamAsync(string upstreamHost, int upstreamPort, CancellationToken ct)
    {
        await WriteStandbySettingsAsync(ReplicationConnInfo(upstreamHost, upstreamPort), ct).ConfigureAwait(false);
        File.Delete(DemotedMarker);
    }

    /// <summary>
    /// Makes this (stopped) former primary a standby that streams from nobody, so it still serves reads while it
    /// cannot tell who leads. It is marked as demoted: it may hold WAL the next leader lacks, so it rewinds before following.
    /// </summary>
    public async Task SetNoUpstreamAsync(CancellationToken ct)
    {
        await WriteStandbySettingsAsync(null, ct).ConfigureAwait(false);
        await File.WriteAllTextAsync(DemotedMarker, "", ct).ConfigureAwait(false);
    }

    /// <summary>Keeps this (stopped) standby a standby but streaming from nobody, until the HA loop knows whom to follow.</summary>
    public Task ClearUpstreamAsync(CancellationToken ct) => WriteStandbySettingsAsync(null, ct);

    /// <summary>A file next to the data directory (not in it: pg_rewind and pg_basebackup would copy or remove it).</summary>
    private string DemotedMarker => Path.TrimEndingDirectorySeparator(DataDirectory) + ".demoted";

    /// <summary>Points this running replica at a new upstream without a restart (PostgreSQL 13+ reloads <c>primary_conninfo</c>).</summary>
    public async Task RepointAsync(string upstreamHost, int upstreamPort, CancellationToken ct)
    {
        await EnsureSlotAsync(UpstreamConnectionString(upstreamHost, upstreamPort), SlotName, ct).ConfigureAwait(false);
        WritePassfile();
        // ALTER SYSTEM lands in the server log with log_statement: the conninfo names the passfile, never a password.
        await ExecuteAsync($"ALTER SYSTEM SET primary_conninfo = {Quote(ReplicationConnInfo(upstreamHost, upstreamPort))}", ct).ConfigureAwait(false);
        await ExecuteAsync($"ALTER SYSTEM SET primary_slot_name = {Quote(SlotName)}", ct).ConfigureAwait(false);
        await ExecuteAsync("SELECT pg_reload_conf()", ct).ConfigureAwait(false);
    }

    private async Task WriteStandbySettingsAsync(string? conninfo, CancellationToken ct)
    {
        await WriteAutoConfAsync([("primary_conninfo", conninfo), ("primary_slot_name", conninfo is null ? null : SlotName), ("recovery_target_timeline", "latest")], ct)
            .ConfigureAwait(false);
        var signal = Path.Combine(DataDirectory, "standby.signal");
        if (!File.Exists(signal))
            await File.WriteAllTextAsync(signal, "", ct).ConfigureAwait(false);
        Own(signal);
    }

    /// <summary>
    /// Rewinds this (stopped) former primary onto <paramref name="upstreamHost"/>'s timeline so it can follow it.
    /// Returns <see langword="false"/> if pg_rewind failed (the caller then re-clones).
    /// </summary>
    public async Task<bool> RewindAsync(string upstreamHost, int upstreamPort, CancellationToken ct)
    {
        WritePassfile();
        var (exitCode, output) = await _tools.TryRunAsync("pg_rewind",
            ["--target-pgdata", DataDirectory, "--source-server", RewindConnInfo(upstreamHost, upstreamPort)],
            TimeSpan.FromMinutes(30), ct).ConfigureAwait(false);
        LastRewindOutput = output;
        return exitCode == 0;
    }

    /// <summary>pg_rewind's output from the last <see cref="RewindAsync"/>, for the log.</summary>
    public string? LastRewindOutput { get; private set; }

    /// <summary>The replication slot this member streams through on its upstream: its name, made a valid slot name.</summary>
    public string SlotName => SlotNameFor(_options.Name);

    /// <summary>A member's slot name: its name in lower case, other characters than letters and digits as <c>_</c>.</summary>
    public static string SlotNameFor(string member) => new(member.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray());

    /// <summary>Creates the physical slot <paramref name="slot"/> on this (primary) node if it is missing.</summary>
    public Task EnsureSlotAsync(string slot, CancellationToken ct) => EnsureSlotAsync(ConnectionString, slot, ct);

    private static async Task EnsureSlotAsync(string connectionString, string slot, CancellationToken ct)
    {
        try
        {
            await ScalarAsync(connectionString,
                "SELECT pg_create_physical_replication_slot($1) WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1)", ct, slot).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.DuplicateObject)
        {
            // created concurrently by the leader or the member itself
        }
    }

    /// <summary>The names of this node's physical slots that nobody streams through now.</summary>
    public async Task<IReadOnlyList<string>> InactiveSlotsAsync(CancellationToken ct)
        => (string[])(await ScalarAsync(ConnectionString,
            "SELECT coalesce(array_agg(slot_name::text), '{}') FROM pg_replication_slots WHERE slot_type = 'physical' AND NOT active", ct).ConfigureAwait(false))!;

    /// <summary>Drops the slot if it exists and is inactive; <see langword="true"/> if it did.</summary>
    public async Task<bool> DropInactiveSlotAsync(string slot, CancellationToken ct)
        => await ScalarAsync(ConnectionString, "SELECT count(pg_drop_replication_slot(slot_name)) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active", ct, slot)
            .ConfigureAwait(false) is long dropped && dropped > 0;

    private string UpstreamConnectionString(string host, int port) => new NpgsqlConnectionStringBuilder(ConnectionString) { Host = host, Port = port }.ConnectionString;

    /// <summary>An SQL string literal (standard_conforming_strings: only the quote is doubled).</summary>
    private static string Quote(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
}
