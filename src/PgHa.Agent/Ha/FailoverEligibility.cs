using PgHa.Agent.Configuration;
using PgHa.Agent.Dcs;

namespace PgHa.Agent.Ha;

/// <summary>
/// Whether a member may ever be promoted, the one rule behind the race, the synchronous standby's choice and the
/// switchover and failover checks. As in Patroni, <c>nofailover</c> or a <c>failover_priority</c> of 0 or less means never.
/// </summary>
internal static class FailoverEligibility
{
    /// <summary>A member as it publishes itself in the DCS.</summary>
    public static bool CanFailover(MemberStatus member) => CanFailover(member.IsNoFailover, member.FailoverPriority);

    /// <summary>This member, from its own settings (which it publishes as the same tags).</summary>
    public static bool CanFailover(AgentOptions options) => CanFailover(options.NoFailover, options.FailoverPriority);

    private static bool CanFailover(bool noFailover, int failoverPriority) => !noFailover && failoverPriority > 0;
}
