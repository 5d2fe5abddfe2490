using System.Text;
using PgHa.Client.Topology;
using PgHa.Client.Topology.Internal;

namespace PgHa.Client.Resilience.Internal;

/// <summary>
/// What one call of a unit of work has been through so far: its budget, its attempts and why each failed. The budget
/// is spent only while the unit waits for the cluster (<see cref="BeginWait"/>): for a node to route to, for the
/// watchdog to account for a failure, for an in-doubt COMMIT to be looked up. The unit's own statements and its COMMIT
/// on a node that answers do not spend it; a node that stops answering is released by the watchdog instead.
/// </summary>
internal sealed class UnitState(TimeSpan budget, bool isIdempotent, TimeProvider time, UnitOfWorkOptions? options)
{
    private readonly StringBuilder _attempts = new();
    private readonly long _startedAt = time.GetTimestamp();
    private TimeSpan _waited;
    private long _waitStartedAt;
    private int _waitDepth;

    public bool IsIdempotent { get; } = isIdempotent;

    public UnitOfWorkOptions? Options { get; } = options;

    public TimeSpan Budget => budget;

    /// <summary>A session wants the commit's WAL position (its consistency token); without one, it is not fetched.</summary>
    public bool WantsPosition { get; init; }

    /// <summary>The node the last failed attempt ran on, if it got that far.</summary>
    public NodeEndPoint? LastFailedNode { get; private set; }

    public int Attempts { get; private set; }

    /// <summary>The last failure seen on a node: the next attempt routes only on a snapshot that accounts for it.</summary>
    public NodeFailureMark LastFailure { get; set; } = NodeFailureMark.None;

    /// <summary>Where an earlier attempt's COMMIT was cut off in flight and its outcome is still open: that attempt may have committed.</summary>
    public NodeEndPoint? InDoubtOn { get; set; }

    /// <summary>An unanswered COMMIT was left to finish in the background; its connection is no longer ours.</summary>
    public bool CommitAbandoned { get; set; }

    /// <summary>After a successful COMMIT: a WAL position past its commit record (the consistency token).</summary>
    public NpgsqlTypes.NpgsqlLogSequenceNumber CommitPosition { get; set; }

    /// <summary>Wall-clock time since the unit started, for messages.</summary>
    public TimeSpan Elapsed => time.GetElapsedTime(_startedAt);

    /// <summary>Time spent waiting for the cluster so far, a wait in progress included.</summary>
    public TimeSpan Waited => _waitDepth > 0 ? _waited + time.GetElapsedTime(_waitStartedAt) : _waited;

    public TimeSpan Remaining => budget - Waited;

    public string History => _attempts.ToString();

    /// <summary>Starts counting time against the budget until the matching <see cref="EndWait"/>; waits may nest.</summary>
    public void BeginWait()
    {
        if (_waitDepth++ == 0)
            _waitStartedAt = time.GetTimestamp();
    }

    public void EndWait()
    {
        if (--_waitDepth == 0)
            _waited += time.GetElapsedTime(_waitStartedAt);
    }

    public void BeginAttempt()
    {
        Attempts++;
        CommitAbandoned = false;
    }

    public void RecordFailure(NodeEndPoint? node, Exception exception)
    {
        LastFailedNode = node;
        if (_attempts.Length > 0)
            _attempts.Append("; ");
        _attempts.Append("attempt ").Append(Attempts);
        if (node is { } n)
            _attempts.Append(" on ").Append(n);
        _attempts.Append(": ").Append(exception is Npgsql.PostgresException pg ? $"{pg.SqlState} {pg.MessageText}" : exception.Message);
    }
}
