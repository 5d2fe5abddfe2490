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
    /// <summary>The <c>sync</c> key: which member is the synchronous standby (synchronous mode).</summary>
    public SyncState? Sync { get; init; }

    /// <summary>The timeline of the last leader (the <c>status</c> key): a node on an older one holds a history the cluster left.</summary>
    public int? LeaderTimeline { get; init; }

    /// <summary>The <c>history</c> key: the timeline history as JSON.</summary>
    public string? History { get; init; }

    /// <summary>The parsed <c>failover</c> key: a requested switchover or failover.</summary>
    public FailoverRequest? FailoverRequest => FailoverRequest.TryParse(Failover);

    /// <summary>
    /// <c>synchronous_mode</c> as the leader published it in the <c>config</c> key (<see langword="null"/> if absent). It
    /// governs candidates: the guarantee that matters at a failover is the one the last leader gave its commits.
    /// </summary>
    public bool? SynchronousMode => DcsJson.TryRead(Config, r => r.TryGetProperty("synchronous_mode", out var v) ? v.ValueKind == System.Text.Json.JsonValueKind.True : (bool?)null);

    /// <summary>Automation is paused (maintenance mode): <c>{"pause": true}</c> in the <c>config</c> key.</summary>
    public bool IsPaused => DcsJson.ReadBool(Config, "pause");

    /// <summary>The member's REST URL, or <see langword="null"/>.</summary>
    public string? ApiUrlOf(string? member) => member is not null && Members.TryGetValue(member, out var status) ? status.ApiUrl : null;

    /// <summary>Parses one prefix read of <see cref="DcsKeys.Base"/>. A member key that does not parse is skipped (a foreign writer), not fatal.</summary>
    public static ClusterView From(DcsKeys keys, IReadOnlyList<KeyValue> kvs, long revision)
    {
        string? leader = null, initialize = null, failover = null, config = null, history = null;
        SyncState? sync = null;
        long leaderLease = 0;
        long? optime = null;
        int? timeline = null;
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
                // status is {"optime": <leader WAL position>, "timeline": <its timeline>}, written by the leader and kept after it is gone (no lease)
                (optime, timeline) = (DcsJson.TryRead(value, r => r.TryGetProperty("optime", out var o) && o.TryGetInt64(out var v) ? v : (long?)null),
                                      DcsJson.TryRead(value, r => r.TryGetProperty("timeline", out var t) && t.TryGetInt32(out var v) ? v : (int?)null));
            else if (key == keys.Sync)
                sync = SyncState.TryParse(value);
            else if (key == keys.History)
                history = value;
            else if (key.StartsWith(keys.Members, StringComparison.Ordinal) && TryParse(value) is { } member)
                members[key[keys.Members.Length..]] = member;
        }

        return new ClusterView(revision, leader, leaderLease, initialize, members, failover, config, optime) { Sync = sync, History = history, LeaderTimeline = timeline };
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
