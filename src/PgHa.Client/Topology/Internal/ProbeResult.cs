using NpgsqlTypes;

namespace PgHa.Client.Topology.Internal;

/// <summary>What one successful probe of a node found.</summary>
internal readonly record struct ProbeResult(
    bool InRecovery,
    bool ReadOnly,
    NpgsqlLogSequenceNumber? WalPosition,
    NpgsqlLogSequenceNumber? ReceivedPosition,
    bool ReplayPaused,
    DateTimeOffset? LastReplayedCommitAt,
    int? Timeline,
    long? SystemIdentifier,
    TimeSpan RoundTrip);
