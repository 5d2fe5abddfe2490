using Microsoft.Extensions.Logging;
using PgHa.Agent.Configuration;
using PgHa.Agent.Dcs;
using PgHa.Agent.Postgres;

namespace PgHa.Agent.Ha;

/// <summary>
/// Synchronous mode on the leader: chooses one synchronous standby, sets <c>synchronous_standby_names</c> and
/// records it in the <c>sync</c> key, the only member candidates may then be. The invariant is that a member named
/// in <c>sync</c> holds every acknowledged commit, so a change goes: clear <c>sync</c> (no automatic failover for a
/// moment) → set the new name → once that standby is <c>sync</c> and has flushed past everything acknowledged under
/// the old setting → name it in <c>sync</c>. Strict mode with no standby sets <c>'*'</c>: commits wait instead of
/// being acknowledged without a copy.
/// </summary>
internal sealed partial class SyncStandbys(AgentOptions options, EtcdDcs dcs, PostgresController postgres, ILogger<SyncStandbys> logger)
{
    private long _changedAt = long.MaxValue;

    /// <summary>Before a promotion, so the first commits on the new primary follow the mode (set on the standby, which reloads it).</summary>
    public async Task BeforePromoteAsync(CancellationToken ct)
    {
        if (!options.SynchronousMode)
            return;
        await dcs.WriteAsLeaderAsync(dcs.Keys.Sync, new SyncState(options.Name, null).ToJson(), ct).ConfigureAwait(false);
        await SetNamesAsync(options.SynchronousModeStrict ? "*" : "", ct).ConfigureAwait(false);
    }

    public async Task ManageAsync(ClusterView view, PostgresState state, IReadOnlyList<ReplicationPeer> peers, CancellationToken ct)
    {
        if (!options.SynchronousMode)
        {
            if (state.SynchronousStandbyNames.Length > 0)
                await SetNamesAsync("", ct).ConfigureAwait(false);
            if (view.Sync is not null)
                await dcs.WriteAsync(dcs.Keys.Sync, null, ct).ConfigureAwait(false);
            return;
        }

        var wanted = Choose(view, options.Name, peers);
        var wantedNames = wanted is not null ? Quote(PostgresController.SlotNameFor(wanted)) : options.SynchronousModeStrict ? "*" : "";
        if (state.SynchronousStandbyNames != wantedNames)
        {
            if (view.Sync is not null && (view.Sync.Leader != options.Name || view.Sync.SyncStandby is not null))
                await dcs.WriteAsLeaderAsync(dcs.Keys.Sync, new SyncState(options.Name, null).ToJson(), ct).ConfigureAwait(false);
            await SetNamesAsync(wantedNames, ct).ConfigureAwait(false);
            _changedAt = long.MaxValue; // measured once the new setting shows in effect (a reload only signals)
            LogChanged(logger, wantedNames.Length == 0 ? "(none: asynchronous)" : wantedNames);
            return;
        }

        if (wanted is null)
        {
            if (view.Sync is null || view.Sync.Leader != options.Name || view.Sync.SyncStandby is not null)
                await dcs.WriteAsLeaderAsync(dcs.Keys.Sync, new SyncState(options.Name, null).ToJson(), ct).ConfigureAwait(false);
            return;
        }

        var peer = peers.First(p => p.ApplicationName == PostgresController.SlotNameFor(wanted));
        if ((view.Sync?.Leader == options.Name && view.Sync.SyncStandby == wanted) || peer.SyncState != "sync")
            return;
        // Two steps: the first cycle that sees the standby as sync takes the primary's position (every commit
        // acknowledged before is at or below it); a later one names the standby once it has flushed that far.
        if (_changedAt == long.MaxValue)
        {
            _changedAt = (await postgres.QueryStateAsync(ct).ConfigureAwait(false)).WalPosition;
            return;
        }

        if (peer.FlushPosition >= _changedAt)
        {
            await dcs.WriteAsLeaderAsync(dcs.Keys.Sync, new SyncState(options.Name, wanted).ToJson(), ct).ConfigureAwait(false);
            LogRecorded(logger, wanted);
        }
    }

    /// <summary>
    /// The synchronous standby the leader <paramref name="me"/> wants: the recorded one while it streams, else the first
    /// streaming member by name. Only a member that may be promoted qualifies: a synchronous standby that never fails
    /// over would leave no candidate at all.
    /// </summary>
    internal static string? Choose(ClusterView view, string me, IReadOnlyList<ReplicationPeer> peers)
    {
        var recorded = view.Sync?.Leader == me ? view.Sync.SyncStandby : null;
        // Walsenders are known by application_name, which is the member's slot name.
        var memberBySlot = view.Members.Where(m => m.Key != me && !m.Value.IsNoSync && FailoverEligibility.CanFailover(m.Value)).Select(m => m.Key)
            .GroupBy(PostgresController.SlotNameFor, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Min(StringComparer.Ordinal)!, StringComparer.Ordinal);
        var streaming = peers.Where(p => p.State == "streaming" && memberBySlot.ContainsKey(p.ApplicationName))
            .Select(p => memberBySlot[p.ApplicationName]).Order(StringComparer.Ordinal).ToList();
        // Keep a healthy synchronous standby; change only when it is gone.
        return recorded is not null && streaming.Contains(recorded) ? recorded : streaming.FirstOrDefault();
    }

    private async Task SetNamesAsync(string names, CancellationToken ct)
    {
        await postgres.ExecuteAsync($"ALTER SYSTEM SET synchronous_standby_names = '{names.Replace("'", "''", StringComparison.Ordinal)}'", ct).ConfigureAwait(false);
        await postgres.ExecuteAsync("SELECT pg_reload_conf()", ct).ConfigureAwait(false);
    }

    private static string Quote(string name) => "\"" + name + "\"";

    [LoggerMessage(EventId = 530, Level = LogLevel.Information, Message = "synchronous_standby_names set to {Names}")]
    private static partial void LogChanged(ILogger logger, string names);

    [LoggerMessage(EventId = 531, Level = LogLevel.Information, Message = "{Standby} is now the synchronous standby in the DCS")]
    private static partial void LogRecorded(ILogger logger, string standby);
}
