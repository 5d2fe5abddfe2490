using System.Text.Json;

namespace PgHa.Agent.Dcs;

/// <summary>Tolerant reads of the small JSON values in the DCS: a value another tool wrote badly is ignored, never fatal.</summary>
internal static class DcsJson
{
    public static bool ReadBool(string? json, string property)
        => TryRead(json, root => root.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.True);

    public static string? ReadString(JsonElement root, string property)
        => root.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public static T? TryRead<T>(string? json, Func<JsonElement, T> read)
    {
        if (string.IsNullOrWhiteSpace(json))
            return default;
        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.ValueKind == JsonValueKind.Object ? read(document.RootElement) : default;
        }
        catch (JsonException)
        {
            return default;
        }
    }
}

/// <summary>The <c>sync</c> key (Patroni's format): the leader and its synchronous standby, the only member that may be promoted automatically in synchronous mode.</summary>
internal sealed record SyncState(string? Leader, string? SyncStandby)
{
    public static SyncState? TryParse(string? json)
        => DcsJson.TryRead(json, root => new SyncState(DcsJson.ReadString(root, "leader"), DcsJson.ReadString(root, "sync_standby")));

    public string ToJson() => JsonSerializer.Serialize(new Dictionary<string, string?> { ["leader"] = Leader, ["sync_standby"] = SyncStandby });
}

/// <summary>
/// The <c>failover</c> key (Patroni's format plus a creation time): a switchover from <see cref="Leader"/>, or a failover
/// to <see cref="Member"/>. A request older than <see cref="Lifetime"/> is ignored, so a candidate that never made it
/// cannot block automatic failover forever.
/// </summary>
internal sealed record FailoverRequest(string? Leader, string? Member, DateTimeOffset CreatedAt)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(30);

    public bool IsExpired(DateTimeOffset now) => now - CreatedAt > Lifetime;

    public static FailoverRequest? TryParse(string? json)
        => DcsJson.TryRead(json, root => new FailoverRequest(
            DcsJson.ReadString(root, "leader"),
            DcsJson.ReadString(root, "member"),
            DateTimeOffset.TryParse(DcsJson.ReadString(root, "created_at"), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var at) ? at : DateTimeOffset.MinValue));

    public string ToJson() => JsonSerializer.Serialize(new Dictionary<string, string?>
    {
        ["leader"] = Leader,
        ["member"] = Member,
        ["created_at"] = CreatedAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
    });
}
