using System.Diagnostics;
using System.Text.Json;
using PgHa.Agent.Dcs;
using System.Text.Json.Nodes;
using PgHa.Agent.Configuration;
using PgHa.Agent.Ha;

namespace PgHa.Agent.Rest;

/// <summary>The status JSON every health GET and <c>/patroni</c> return, with Patroni's field names (tools and peers parse them).</summary>
internal static class StatusDocument
{
    public static JsonObject Build(AgentSnapshot s, AgentState state, AgentOptions options)
    {
        var pg = s.Postgres;
        var doc = new JsonObject
        {
            ["state"] = s.PostgresStateName,
            ["role"] = pg is null ? (s.LocalStatus == LocalPostgresStatus.NotInitialized ? "uninitialized" : "unknown") : pg.IsPrimary ? "primary" : "replica",
        };
        if (pg is not null)
        {
            doc["postmaster_start_time"] = pg.PostmasterStartTime.ToString("yyyy-MM-dd HH:mm:ss.ffffffzzz", System.Globalization.CultureInfo.InvariantCulture);
            doc["server_version"] = pg.ServerVersion;
            doc["xlog"] = pg.IsPrimary
                ? new JsonObject { ["location"] = pg.WalPosition }
                : new JsonObject { ["received_location"] = pg.ReceivedPosition, ["replayed_location"] = pg.ReplayedPosition, ["replayed_timestamp"] = null, ["paused"] = pg.IsReplayPaused };
            doc["timeline"] = pg.Timeline;
            doc["database_system_identifier"] = pg.SystemIdentifier.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (!pg.IsPrimary)
                doc["replication_state"] = pg.IsStreaming ? "streaming" : "in archive recovery";
        }

        if (s.Replication.Count > 0)
        {
            doc["replication"] = new JsonArray(s.Replication.Select(r => (JsonNode)new JsonObject
            {
                ["usename"] = r.User,
                ["application_name"] = r.ApplicationName,
                ["client_addr"] = r.ClientAddress,
                ["state"] = r.State,
                ["sync_state"] = r.SyncState,
            }).ToArray());
        }

        if (s.View?.Leader is null)
            doc["cluster_unlocked"] = true;
        if (s.View?.IsPaused == true)
            doc["pause"] = true;
        if (IsSyncStandby(s, state))
            doc["sync_standby"] = true;
        if (s.DcsLastSeen is { } seen)
            doc["dcs_last_seen"] = seen.ToUnixTimeSeconds();
        var tags = MemberStatus.TagsOf(options.NoFailover, options.NoLoadBalance, options.FailoverPriority);
        if (tags.Count > 0)
            doc["tags"] = JsonSerializer.SerializeToNode(tags);
        doc["patroni"] = new JsonObject { ["version"] = "4.0.0", ["scope"] = options.Scope, ["name"] = options.Name, ["agent"] = "pgha-agent" };
        if (s.LastAction is { } action)
            doc["pgha_last_decision"] = $"{action.Kind}: {action.Reason}";
        return doc;
    }

    public static bool IsSyncStandby(AgentSnapshot s, AgentState state) => s.View?.Sync?.SyncStandby == state.MemberName && s.View.Leader != state.MemberName;

    /// <summary>Patroni's lag test: the leader's last published position is more than <paramref name="maximum"/> ahead of what this replica replayed.</summary>
    public static bool IsLagging(AgentSnapshot s, long maximum)
    {
        var leader = s.View?.LeaderOptime ?? 0;
        var replayed = s.Postgres?.ReplayedPosition ?? 0;
        return leader != 0 && leader > replayed + maximum;
    }

    /// <summary>The HA loop completed a cycle recently enough (<c>/liveness</c>).</summary>
    public static bool IsAlive(AgentSnapshot s, AgentOptions options)
    {
        var threshold = s.LocalStatus == LocalPostgresStatus.RunningPrimary ? options.Ttl : 2 * options.Ttl;
        return Stopwatch.GetElapsedTime(s.LoopCompletedAt) < threshold + options.LoopWait;
    }
}
