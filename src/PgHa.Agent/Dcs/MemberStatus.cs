using System.Text.Json.Serialization;

namespace PgHa.Agent.Dcs;

/// <summary>What a member publishes about itself in <c>members/&lt;name&gt;</c>, with Patroni's field names.</summary>
internal sealed record MemberStatus
{
    [JsonPropertyName("conn_url")]
    public required string ConnUrl { get; init; }

    [JsonPropertyName("api_url")]
    public required string ApiUrl { get; init; }

    /// <summary>running, starting, stopped, crashed, ...</summary>
    [JsonPropertyName("state")]
    public required string State { get; init; }

    /// <summary>primary or replica.</summary>
    [JsonPropertyName("role")]
    public required string Role { get; init; }

    [JsonPropertyName("version")]
    public string Version { get; init; } = "pgha-agent";

    /// <summary>On a primary the flushed WAL position, on a replica the received one, as an integer.</summary>
    [JsonPropertyName("xlog_location")]
    public long? XlogLocation { get; init; }

    [JsonPropertyName("receive_lsn")]
    public long? ReceiveLsn { get; init; }

    [JsonPropertyName("replay_lsn")]
    public long? ReplayLsn { get; init; }

    [JsonPropertyName("timeline")]
    public int? Timeline { get; init; }

    [JsonPropertyName("replication_state")]
    public string? ReplicationState { get; init; }

    [JsonPropertyName("tags")]
    public IReadOnlyDictionary<string, object>? Tags { get; init; }

    /// <summary>Tagged <c>nofailover</c>: never promoted automatically.</summary>
    [JsonIgnore]
    public bool IsNoFailover => HasTrueTag("nofailover");

    /// <summary>Tagged <c>nosync</c>: never chosen as the synchronous standby.</summary>
    [JsonIgnore]
    public bool IsNoSync => HasTrueTag("nosync");

    /// <summary>The <c>failover_priority</c> tag (1 when absent; 0 = never).</summary>
    [JsonIgnore]
    public int FailoverPriority => Tags?.TryGetValue("failover_priority", out var value) == true && int.TryParse(value?.ToString(), out var p) ? p : 1;

    /// <summary>The tags a member with these settings publishes (Patroni's names; only those that differ from the defaults).</summary>
    public static Dictionary<string, object> TagsOf(bool noFailover, bool noLoadBalance, int failoverPriority)
    {
        var tags = new Dictionary<string, object>(StringComparer.Ordinal);
        if (noFailover)
            tags["nofailover"] = true;
        if (noLoadBalance)
            tags["noloadbalance"] = true;
        if (failoverPriority != 1)
            tags["failover_priority"] = failoverPriority;
        return tags;
    }

    private bool HasTrueTag(string name) => Tags?.TryGetValue(name, out var value) == true && value?.ToString() is "true" or "True";
}
