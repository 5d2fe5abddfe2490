using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using PgHa.Agent.Configuration;
using PgHa.Agent.Ha;

namespace PgHa.Agent.Rest;

/// <summary><c>/cluster</c>, <c>/history</c>, <c>/config</c> (from <see cref="ClusterViewCache"/>) and <c>/metrics</c> (Prometheus text).</summary>
internal static class ClusterEndpoints
{
    public static void Map(WebApplication app)
    {
        // One etcd read shared by every request within a quarter second (ClusterViewCache): anonymous callers cannot
        // load etcd, and a caller never sees the cluster as it was before a switchover or failover it already waited for.
        app.MapGet("/cluster", async (ClusterViewCache cache, AgentOptions options, CancellationToken ct)
            => Results.Json(ClusterReport.Json(await cache.GetAsync(ct).ConfigureAwait(false), options.Scope)));
        app.MapGet("/history", async (ClusterViewCache cache, CancellationToken ct)
            => Results.Text((await cache.GetAsync(ct).ConfigureAwait(false)).History ?? "[]", "application/json"));
        app.MapGet("/config", async (ClusterViewCache cache, CancellationToken ct)
            => (await cache.GetAsync(ct).ConfigureAwait(false)).Config is { } config ? Results.Text(config, "application/json") : Results.StatusCode(502));
        app.MapGet("/metrics", (AgentState state, AgentOptions options) => Results.Text(Metrics(state, options), "text/plain; version=0.0.4"));
    }

    /// <summary>Patroni's metric names (dashboards built for Patroni keep working), labelled with scope and name.</summary>
    internal static string Metrics(AgentState state, AgentOptions options)
    {
        var s = state.Current;
        var pg = s.Postgres;
        var labels = $"{{scope=\"{options.Scope}\",name=\"{options.Name}\"}}";
        var text = new StringBuilder();
        void Gauge(string name, string help, double value)
        {
            text.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} gauge\n{name}{labels} {value}\n");
        }

        Gauge("patroni_postgres_running", "Value is 1 if PostgreSQL is running, 0 otherwise.", s.PostgresStateName == "running" ? 1 : 0);
        Gauge("patroni_primary", "Value is 1 if this node is the leader, 0 otherwise.", state.IsLeader(s) ? 1 : 0);
        Gauge("patroni_replica", "Value is 1 if this node is a replica, 0 otherwise.", pg is { IsPrimary: false } ? 1 : 0);
        Gauge("patroni_sync_standby", "Value is 1 if this node is the synchronous standby, 0 otherwise.", StatusDocument.IsSyncStandby(s, state) ? 1 : 0);
        Gauge("patroni_xlog_location", "Current WAL position of a primary, in bytes.", pg is { IsPrimary: true } ? pg.WalPosition : 0);
        Gauge("patroni_xlog_received_location", "WAL position received by a replica, in bytes.", pg is { IsPrimary: false } ? pg.ReceivedPosition ?? 0 : 0);
        Gauge("patroni_xlog_replayed_location", "WAL position replayed by a replica, in bytes.", pg is { IsPrimary: false } ? pg.ReplayedPosition ?? 0 : 0);
        Gauge("patroni_xlog_paused", "Value is 1 if WAL replay is paused, 0 otherwise.", pg?.IsReplayPaused == true ? 1 : 0);
        Gauge("patroni_postgres_streaming", "Value is 1 if a replica streams from its upstream, 0 otherwise.", pg is { IsPrimary: false, IsStreaming: true } ? 1 : 0);
        Gauge("patroni_postgres_timeline", "PostgreSQL timeline.", pg?.Timeline ?? 0);
        Gauge("patroni_postgres_server_version", "PostgreSQL version (server_version_num).", pg?.ServerVersion ?? 0);
        Gauge("patroni_cluster_unlocked", "Value is 1 if the cluster has no leader, 0 otherwise.", s.View?.Leader is null ? 1 : 0);
        Gauge("patroni_is_paused", "Value is 1 if automation is paused, 0 otherwise.", s.View?.IsPaused == true ? 1 : 0);
        Gauge("patroni_dcs_last_seen", "Epoch seconds of the last successful DCS read.", s.DcsLastSeen?.ToUnixTimeSeconds() ?? 0);
        Gauge("patroni_failover_priority", "failover_priority tag.", options.NoFailover ? 0 : options.FailoverPriority);
        Gauge("pgha_replica_lag_bytes", "How far a replica's replay is behind the leader's last published position, in bytes.",
            pg is { IsPrimary: false } && s.View?.LeaderOptime is { } leader ? Math.Max(0, leader - (pg.ReplayedPosition ?? 0)) : 0);
        Gauge("pgha_agent_alive", "Value is 1 if the HA loop completed a cycle recently (what /liveness checks).", StatusDocument.IsAlive(s, options) ? 1 : 0);
        return text.ToString();
    }
}
