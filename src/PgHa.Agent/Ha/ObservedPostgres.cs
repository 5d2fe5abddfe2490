using System.Globalization;
using PgHa.Agent.Configuration;
using PgHa.Agent.Dcs;
using PgHa.Agent.Postgres;

namespace PgHa.Agent.Ha;

/// <summary>The local server as one cycle found it, and how it is published to the DCS.</summary>
internal sealed record ObservedPostgres(LocalPostgresStatus Status, PostgresState? State, string StateName)
{
    /// <summary>
    /// The state query has not answered within <c>RetryTimeout</c> and still runs (a loaded server): this is the last
    /// observation, or <see cref="LocalPostgresStatus.Unreachable"/> if there was none. Decisions that need a fresh state wait.
    /// </summary>
    public bool IsStale { get; init; }

    /// <summary>The decider's input: the upstream mapped from <c>host:port</c> to the member with that connection address.</summary>
    public LocalPostgres ToLocal(ClusterView view)
    {
        string? upstream = null;
        if (State?.Upstream is { } address)
            upstream = view.Members.FirstOrDefault(m => string.Equals(HostAndPort(m.Value.ConnUrl), address.Replace("[", "", StringComparison.Ordinal).Replace("]", "", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase)).Key ?? address;
        return new LocalPostgres(Status, State?.WalPosition ?? 0, State?.Timeline ?? 0, upstream) { IsStreaming = State?.IsStreaming ?? false };
    }

    public MemberStatus ToMemberStatus(AgentOptions options)
    {
        var tags = MemberStatus.TagsOf(options.NoFailover, options.NoLoadBalance, options.FailoverPriority);
        return new MemberStatus
        {
            ConnUrl = $"postgres://{options.ConnectAddress ?? options.Listen}/postgres",
            ApiUrl = options.RestApiUrl(),
            State = StateName,
            Role = Status switch
            {
                LocalPostgresStatus.RunningPrimary => "primary",
                LocalPostgresStatus.RunningReplica => "replica",
                LocalPostgresStatus.NotInitialized => "uninitialized",
                _ => "unknown",
            },
            XlogLocation = State?.WalPosition,
            ReceiveLsn = State?.ReceivedPosition,
            ReplayLsn = State?.ReplayedPosition,
            Timeline = State?.Timeline,
            ReplicationState = State is { IsPrimary: false } s ? (s.IsStreaming ? "streaming" : "in archive recovery") : null,
            Tags = tags.Count > 0 ? tags : null,
        };
    }

    /// <summary><c>postgres://host:port/db</c> → <c>host:port</c>.</summary>
    public static string? HostAndPort(string? connUrl)
        => Uri.TryCreate(connUrl, UriKind.Absolute, out var uri) ? string.Create(CultureInfo.InvariantCulture, $"{uri.Host.Trim('[', ']')}:{(uri.Port > 0 ? uri.Port : 5432)}") : null;
}
