using System.Text;
using PgHa.Client.Topology;

namespace PgHa.Client.Resilience.Internal;

/// <summary>What one call of a unit of work has been through so far: its budget, its attempts and why each failed.</summary>
internal sealed class UnitState(TimeSpan budget, bool isIdempotent, long startedAt, TimeProvider time, UnitOfWorkOptions? options)
{
    private readonly StringBuilder _attempts = new();

    public bool IsIdempotent { get; } = isIdempotent;

    public UnitOfWorkOptions? Options { get; } = options;

    /// <summary>A session wants the commit's WAL position (its consistency token); without one, it is not fetched.</summary>
    public bool WantsPosition { get; init; }

    /// <summary>The node the last failed attempt ran on, if it got that far.</summary>
    public NodeEndPoint? LastFailedNode { get; private set; }

    public int Attempts { get; private set; }

    /// <summary>The snapshot an attempt failed on: the next attempt routes only on a newer one.</summary>
    public long FailedOnVersion { get; set; } = -1;

    /// <summary>Where an earlier attempt's COMMIT was cut off in flight: that attempt may have committed.</summary>
    public NodeEndPoint? InDoubtOn { get; set; }

    /// <summary>An unanswered COMMIT was left to finish in the background; its connection is no longer ours.</summary>
    public bool CommitAbandoned { get; set; }

    /// <summary>After a successful COMMIT: a WAL position past its commit record (the consistency token).</summary>
    public NpgsqlTypes.NpgsqlLogSequenceNumber CommitPosition { get; set; }

    public TimeSpan Elapsed => time.GetElapsedTime(startedAt);

    public TimeSpan Remaining => budget - Elapsed;

    public string History => _attempts.ToString();

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
