using System.Diagnostics;
using PgHa.Agent.Dcs;
using PgHa.Agent.Postgres;

namespace PgHa.Agent.Ha;

/// <summary>What the HA loop last saw and did, published for the REST API and metrics (one immutable snapshot, swapped whole).</summary>
internal sealed record AgentSnapshot(
    ClusterView? View,
    PostgresState? Postgres,
    LocalPostgresStatus LocalStatus,
    string PostgresStateName,
    HaAction? LastAction,
    DateTimeOffset? DcsLastSeen,
    long LeaseDeadline,
    long LoopCompletedAt,
    IReadOnlyList<ReplicationPeer> Replication)
{
    public static readonly AgentSnapshot Initial = new(null, null, LocalPostgresStatus.Stopped, "starting", null, null, 0, Stopwatch.GetTimestamp(), []);
}

/// <summary>The shared, thread-safe holder of <see cref="AgentSnapshot"/>.</summary>
internal sealed class AgentState(string memberName)
{
    private AgentSnapshot _current = AgentSnapshot.Initial;

    public string MemberName { get; } = memberName;

    public AgentSnapshot Current => Volatile.Read(ref _current);

    public void Publish(AgentSnapshot snapshot) => Volatile.Write(ref _current, snapshot);

    /// <summary>Before the server stops taking writes: <c>/primary</c> answers 503 from now on, not from the end of the cycle.</summary>
    public void StopLeading() => Publish(Current with { LeaseDeadline = 0 });

    /// <summary>
    /// This member leads: the DCS named it leader at the last read and its lease is renewed beyond the moment the
    /// fence would fire (Patroni's <c>is_leader</c>, evaluated now, not when the loop last ran). What <c>/primary</c>
    /// answers 200 on, so a load balancer never sends writes to a node that may have been replaced.
    /// </summary>
    public bool IsLeader(AgentSnapshot s)
        => s.View?.Leader == MemberName && s.LeaseDeadline != 0 && s.LocalStatus == LocalPostgresStatus.RunningPrimary
           && Stopwatch.GetTimestamp() < s.LeaseDeadline - (long)(HaExecutor.FenceMargin.TotalSeconds * Stopwatch.Frequency);
}
