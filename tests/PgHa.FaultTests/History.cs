using System.Collections.Concurrent;
using System.Diagnostics;

namespace PgHa.FaultTests;

/// <summary>What the client was told about an operation.</summary>
internal enum Outcome
{
    /// <summary>Acknowledged: it must be there, exactly once.</summary>
    Ok,

    /// <summary>An error other than "outcome unknown": it must not be there.</summary>
    Failed,

    /// <summary><c>PgHaCommitOutcomeUnknownException</c>: there at most once.</summary>
    Unknown,
}

/// <summary>One <c>ExecuteWriteAsync</c> that inserted <paramref name="Id"/>.</summary>
internal sealed record WriteOp(long Id, int Writer, long Started, long Ended, Outcome Outcome, string? Error);

/// <summary>One heartbeat tick (an <c>ExecuteWriteAsync</c> too), acknowledged at <paramref name="Ended"/> if <paramref name="Outcome"/> is <see cref="Outcome.Ok"/> (<see cref="Stopwatch"/> timestamps).</summary>
internal sealed record TickOp(long N, long Started, long Ended, Outcome Outcome);

/// <summary>A lag-bounded replica read that saw ticks up to <paramref name="MaxTick"/>; <paramref name="ReadAt"/> is when its query was sent.</summary>
internal sealed record ReadOp(long ReadAt, long MaxTick, string Node);

/// <summary>A session read of the session's own acknowledged write <paramref name="Id"/>.</summary>
internal sealed record ReadYourWriteOp(long Id, bool Seen, string Node);

/// <summary>One answer of a node to "do you accept writes?", over its Unix socket (so a cut-off node answers too).</summary>
internal sealed record WritableSample(string Node, long Asked, long Answered, bool Writable, string? Timeline);

/// <summary>A one-row write that <paramref name="Node"/> committed and acknowledged, asked by <see cref="CommitProbe"/> with plain Npgsql.</summary>
internal sealed record CommitSample(string Node, long Asked, long Acknowledged);

/// <summary>Everything the workload and the monitor saw, appended from many tasks.</summary>
internal sealed class History
{
    public ConcurrentQueue<WriteOp> Writes { get; } = new();

    public ConcurrentQueue<TickOp> Ticks { get; } = new();

    public ConcurrentQueue<ReadOp> Reads { get; } = new();

    public ConcurrentQueue<ReadYourWriteOp> ReadYourWrites { get; } = new();

    public ConcurrentQueue<WritableSample> Writable { get; } = new();

    public ConcurrentQueue<CommitSample> Commits { get; } = new();

    /// <summary>Reads that failed (they prove nothing either way), by exception type.</summary>
    public ConcurrentDictionary<string, int> ReadErrors { get; } = new();

    public static long Now => Stopwatch.GetTimestamp();

    public void ReadFailed(Exception error) => ReadErrors.AddOrUpdate(error.GetType().Name, 1, (_, n) => n + 1);
}
