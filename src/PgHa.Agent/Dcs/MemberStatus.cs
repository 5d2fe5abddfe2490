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
}
