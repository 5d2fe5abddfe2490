using System.Text.Json.Serialization;
using PgHa.Agent.Configuration;
using PgHa.Agent.Dcs;
using PgHa.Agent.Ha;

namespace PgHa.Agent.Rest;

/// <summary>The body of <c>POST /switchover</c> and <c>/failover</c>, as Patroni takes it (<c>member</c> is an old name for <c>candidate</c>).</summary>
internal sealed record SwitchBody
{
    [JsonPropertyName("leader")]
    public string? Leader { get; init; }

    [JsonPropertyName("candidate")]
    public string? Candidate { get; init; }

    [JsonPropertyName("member")]
    public string? Member { get; init; }

    [JsonPropertyName("scheduled_at")]
    public string? ScheduledAt { get; init; }
}

/// <summary>Patroni's checks for a switchover or failover, in its order, with its codes and messages; or the candidate to name.</summary>
internal static class SwitchoverRules
{
    public static ((int Code, string Message)? Error, string? Candidate) Check(ClusterView view, AgentOptions options, SwitchBody body, bool failover)
    {
        var candidate = body.Candidate ?? body.Member;
        var action = failover && body.Leader is null ? "failover" : "switchover";
        if (failover && candidate is null)
            return ((400, "Failover could be performed only to a specific candidate"), null);
        if (!failover && body.Leader is null)
            return ((400, "Switchover could be performed only from a specific leader"), null);
        if (body.ScheduledAt is not null)
            return ((400, "Scheduled switchovers are not supported by pgha-agent: run it at the time you want"), null);
        if (view.IsPaused && candidate is null)
            return ((400, "Switchover is possible only to a specific candidate in a paused state"), null);
        if (body.Leader is not null && body.Leader == candidate)
            return ((400, "Switchover target and source are the same"), null);
        if (body.Leader is not null && body.Leader != view.Leader)
            return ((412, "leader name does not match"), null);
        if (candidate is not null && options.SynchronousMode && !failover && view.Sync?.SyncStandby != candidate)
            return ((412, "candidate name does not match with sync_standby"), null);
        if (candidate is not null && !view.Members.ContainsKey(candidate))
            return ((412, "candidate does not exists"), null);
        if (candidate is not null && !FailoverEligibility.CanFailover(view.Members[candidate]))
            return ((412, $"{action} is not possible: candidate {candidate} never fails over (nofailover or failover_priority <= 0)"), null);
        if (view.Members.Keys.All(m => m == view.Leader))
            return ((412, $"{action} is not possible: cluster does not have members except leader"), null);
        if (candidate is null && options.SynchronousMode)
        {
            candidate = view.Sync?.SyncStandby;
            if (candidate is null)
                return ((412, $"{action} is not possible: can not find sync_standby"), null);
        }

        var healthy = view.Members
            .Where(m => m.Key != view.Leader && m.Value.Role == "replica" && m.Value.State == "running" && FailoverEligibility.CanFailover(m.Value))
            .OrderByDescending(m => m.Value.XlogLocation ?? 0).ThenBy(m => m.Key, StringComparer.Ordinal)
            .Select(m => m.Key).ToList();
        candidate ??= healthy.FirstOrDefault();
        if (candidate is null || !healthy.Contains(candidate))
            return ((412, $"{action} is not possible: no good candidates have been found"), null);
        return (null, candidate);
    }

}
