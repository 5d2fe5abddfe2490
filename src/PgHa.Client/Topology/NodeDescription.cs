using System.Globalization;
using NpgsqlTypes;

namespace PgHa.Client.Topology;

/// <summary>An immutable description of one node at one moment, as seen by the watchdog.</summary>
public sealed record NodeDescription
{
    /// <summary>The node's address.</summary>
    public required NodeEndPoint EndPoint { get; init; }

    /// <summary>The role the node reported at its last successful probe.</summary>
    public NodeRole Role { get; init; }

    /// <summary>Whether the node is reachable.</summary>
    public NodeHealth Health { get; init; }

    /// <summary>A primary with <c>default_transaction_read_only = on</c>: not routed writes.</summary>
    public bool IsReadOnly { get; init; }

    /// <summary>A primary that must not be used: it is on an older timeline than another primary, or shares its timeline with one (split brain).</summary>
    public bool IsFenced { get; init; }

    /// <summary>Why the node is fenced, when it is.</summary>
    public string? FenceReason { get; init; }

    /// <summary>On a primary the flushed WAL position; on a replica the replayed one.</summary>
    public NpgsqlLogSequenceNumber? WalPosition { get; init; }

    /// <summary>On a replica, the WAL position received from its upstream.</summary>
    public NpgsqlLogSequenceNumber? ReceivedPosition { get; init; }

    /// <summary>On a replica, whether WAL replay is paused (<c>pg_wal_replay_pause()</c>).</summary>
    public bool IsReplayPaused { get; init; }

    /// <summary>On a replica, how stale its data is: zero when it has replayed everything the primary has flushed, however idle the primary is. <see langword="null"/> when unknown.</summary>
    public TimeSpan? ReplicaLag { get; init; }

    /// <summary>On a replica, the WAL bytes the primary has flushed that it has not replayed. <see langword="null"/> when unknown.</summary>
    public long? ReplicaLagBytes { get; init; }

    /// <summary>The WAL timeline the node is on.</summary>
    public int? Timeline { get; init; }

    /// <summary>The cluster's system identifier (<c>pg_control_system()</c>); nodes of one cluster share it.</summary>
    public long? SystemIdentifier { get; init; }

    /// <summary>Round-trip time of the probe query, smoothed (EWMA, α = 0.2).</summary>
    public TimeSpan? ProbeLatency { get; init; }

    /// <summary>When the node last answered a probe.</summary>
    public DateTimeOffset? LastSeenAt { get; init; }

    /// <summary>When the node's role or health last changed.</summary>
    public DateTimeOffset? StateSince { get; init; }

    /// <summary>The last probe error, while the node is not <see cref="NodeHealth.Up"/>.</summary>
    public string? LastError { get; init; }

    /// <summary>Probes that failed in a row.</summary>
    public int ConsecutiveFailures { get; init; }

    /// <summary>Whether a write may be routed here: an unfenced, read-write primary that answered its last probe.
    /// A suspect primary gets no new writes: they wait for the watchdog's immediate re-probe rather than hang on a frozen node.</summary>
    public bool IsWritable => Role == NodeRole.Primary && !IsReadOnly && !IsFenced && Health == NodeHealth.Up;

    /// <summary>Position in the connection string's host list.</summary>
    internal int Index { get; init; }

    /// <summary>The node refused our credentials or database: waiting will not help.</summary>
    internal bool HasConfigurationFailure { get; init; }

    /// <summary>On a replica, the primary's commit time of the last transaction it replayed.</summary>
    internal DateTimeOffset? LastReplayedCommitAt { get; init; }

    /// <summary>The exception behind <see cref="LastError"/>.</summary>
    internal Exception? LastException { get; init; }

    /// <summary>How many probes of this node have ended, answered or not: a snapshot whose count is above the one seen
    /// when a request failed there has probed the node since.</summary>
    internal long ProbeCount { get; init; }

    /// <summary>Whether the watchdog has given up on the node: down, or a fenced primary.</summary>
    internal bool IsLost => Health == NodeHealth.Down || IsFenced;

    /// <summary>One line: <c>127.0.0.1:5433 replica up, lag 0.2 s / 4096 B, TL 2</c>.</summary>
    public override string ToString()
    {
        var text = $"{EndPoint} {Describe()}";
        return Health == NodeHealth.Down || LastError is null ? text : $"{text} ({LastError})";
    }

    internal string Describe()
    {
        var inv = CultureInfo.InvariantCulture;
        var role = Role switch { NodeRole.Primary => IsReadOnly ? "read-only primary" : "primary", NodeRole.Replica => "replica", _ => "node" };
        var health = Health switch
        {
            NodeHealth.Up => "up",
            NodeHealth.Suspect => $"suspect ({ConsecutiveFailures} failed probe{(ConsecutiveFailures == 1 ? "" : "s")})",
            NodeHealth.Down => $"down ({LastError ?? "unreachable"})",
            _ => "not probed yet",
        };
        var parts = new List<string>(4) { $"{role} {health}" };
        if (Role == NodeRole.Replica && Health != NodeHealth.Down)
        {
            parts.Add(ReplicaLag is { } lag
                ? string.Create(inv, $"lag {lag.TotalSeconds:0.0##} s / {ReplicaLagBytes ?? 0} B")
                : "lag unknown");
            if (IsReplayPaused)
                parts.Add("replay paused");
        }

        if (Timeline is { } tl)
            parts.Add(string.Create(inv, $"TL {tl}"));
        if (IsFenced)
            parts.Add($"FENCED: {FenceReason}");
        return string.Join(", ", parts);
    }
}
