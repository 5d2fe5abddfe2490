using System.Text.Json;
using PgHa.Agent.Dcs.Etcd;

namespace PgHa.Agent.Dcs;

/// <summary>The cluster as the DCS describes it at one revision.</summary>
internal sealed record ClusterView(
    long Revision,
    string? Leader,
    long LeaderLease,
    string? Initialize,
    IReadOnlyDictionary<string, MemberStatus> Members,
    string? Failover,
    string? Config,
    long? LeaderOptime = null)
{

    /// <summary>Parses one prefix read of <see cref="DcsKeys.Base"/>. A member key that does not parse is skipped (a foreign writer), not fatal.</summary>
    public static ClusterView From(DcsKeys keys, IReadOnlyList<KeyValue> kvs, long revision)
    {
        string? leader = null, initialize = null, failover = null, config = null;
        long leaderLease = 0;
        long? optime = null;
        var members = new Dictionary<string, MemberStatus>(StringComparer.Ordinal);
        foreach (var kv in kvs)
        {
            var key = EtcdClient.Text(kv.Key);
            var value = EtcdClient.Text(kv.Value);
            if (key == keys.Leader)
                (leader, leaderLease) = (value, kv.Lease);
            else if (key == keys.Initialize)
                initialize = value;
            else if (key == keys.Failover)
                failover = value;
            else if (key == keys.Config)
                config = value;
            else if (key == keys.Status)
                optime = ParseOptime(value);
            else if (key.StartsWith(keys.Members, StringComparison.Ordinal) && TryParse(value) is { } member)
                members[key[keys.Members.Length..]] = member;
        }

        return new ClusterView(revision, leader, leaderLease, initialize, members, failover, config, optime);
    }

    /// <summary><c>status</c> is <c>{"optime": &lt;leader WAL position&gt;, ...}</c>, written by the leader and kept after it is gone (no lease).</summary>
    private static long? ParseOptime(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.TryGetProperty("optime", out var optime) && optime.TryGetInt64(out var value) ? value : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static MemberStatus? TryParse(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<MemberStatus>(json);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
