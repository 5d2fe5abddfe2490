using System.Text.Json.Nodes;
using PgHa.Agent.Dcs;
using PgHa.Agent.Ha;
using PgHa.Agent.Postgres;

namespace PgHa.Agent.Rest;

/// <summary>One member as <c>/cluster</c> and <c>ctl list</c> show it.</summary>
internal sealed record MemberRow(string Name, string Host, int Port, string Role, string State, int? Timeline, long? Lag, long? Position, string ApiUrl, IReadOnlyDictionary<string, object>? Tags);

/// <summary>The members of a cluster from one DCS read, sorted by name, with roles and lag against the leader's last position.</summary>
internal static class ClusterReport
{
    public static IReadOnlyList<MemberRow> Rows(ClusterView view)
    {
        var rows = new List<MemberRow>();
        foreach (var (name, m) in view.Members.OrderBy(m => m.Key, StringComparer.Ordinal))
        {
            var address = ObservedPostgres.HostAndPort(m.ConnUrl) ?? ":0";
            var colon = address.LastIndexOf(':');
            var role = name == view.Leader ? "leader" : view.Sync?.SyncStandby == name ? "sync_standby" : m.Role == "primary" ? "primary" : "replica";
            var state = role == "leader" ? m.State : m.ReplicationState ?? m.State;
            long? lag = role == "leader" || m.XlogLocation is null ? null : Math.Max(0, (view.LeaderOptime ?? m.XlogLocation.Value) - m.XlogLocation.Value);
            rows.Add(new MemberRow(name, address[..colon], int.Parse(address[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture), role, state, m.Timeline, lag, m.XlogLocation, m.ApiUrl, m.Tags));
        }

        return rows;
    }

    /// <summary>Patroni's <c>GET /cluster</c> document.</summary>
    public static JsonObject Json(ClusterView view, string scope)
    {
        var members = new JsonArray();
        foreach (var row in Rows(view))
        {
            var member = new JsonObject
            {
                ["name"] = row.Name,
                ["role"] = row.Role,
                ["state"] = row.State,
                ["api_url"] = row.ApiUrl,
                ["host"] = row.Host,
                ["port"] = row.Port,
                ["timeline"] = row.Timeline,
            };
            if (row.Role != "leader")
            {
                member["lsn"] = row.Position is { } p ? Lsn.Format(p) : "unknown";
                member["lag"] = row.Lag is { } l ? l : "unknown";
            }

            if (row.Tags is { Count: > 0 } tags)
                member["tags"] = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(tags));
            members.Add(member);
        }

        var doc = new JsonObject { ["members"] = members, ["scope"] = scope };
        if (view.IsPaused)
            doc["pause"] = true;
        return doc;
    }
}
