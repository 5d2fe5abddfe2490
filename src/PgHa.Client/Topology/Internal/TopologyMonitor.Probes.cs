using System.Globalization;
using System.Net.Sockets;
using Npgsql;
using PgHa.Client.Resilience.Internal;

namespace PgHa.Client.Topology.Internal;

internal sealed partial class TopologyMonitor
{
    private const double LatencySmoothing = 0.2;

    public void OnProbeSucceeded(int index, ProbeResult result, string cause)
    {
        LogProbe(_logger, _nodes[index].EndPoint.ToString(), result.InRecovery ? "replica" : "primary", result.RoundTrip.TotalMilliseconds);
        lock (_gate)
        {
            var old = _probed[index];
            var now = _time.GetUtcNow();
            var role = result.InRecovery ? NodeRole.Replica : NodeRole.Primary;
            _probed[index] = old with
            {
                Role = role,
                Health = NodeHealth.Up,
                IsReadOnly = !result.InRecovery && result.ReadOnly,
                WalPosition = result.WalPosition,
                ReceivedPosition = result.ReceivedPosition,
                IsReplayPaused = result.ReplayPaused,
                LastReplayedCommitAt = result.LastReplayedCommitAt,
                Timeline = result.Timeline,
                SystemIdentifier = result.SystemIdentifier,
                ProbeLatency = old.ProbeLatency is { } smoothed
                    ? smoothed * (1 - LatencySmoothing) + result.RoundTrip * LatencySmoothing
                    : result.RoundTrip,
                LastSeenAt = now,
                StateSince = old.Role != role || old.Health != NodeHealth.Up ? now : old.StateSince,
                LastError = null,
                LastException = null,
                ConsecutiveFailures = 0,
                HasConfigurationFailure = false,
                ProbeCount = old.ProbeCount + 1,
            };
            PublishLocked(cause, now);
        }

        AfterPublish();
    }

    /// <returns>Whether the node should be probed again at once (a first timeout, to confirm or clear it quickly).</returns>
    public bool OnProbeFailed(int index, Exception exception, NodeFailureKind kind, string cause)
    {
        // A probe is our own query: an error that says nothing about the node (say, a permission missing for
        // a monitoring function) will not go away by itself either.
        if (kind is NodeFailureKind.None or NodeFailureKind.RoleChanged)
            kind = NodeFailureKind.Configuration;

        NodeHealth health;
        lock (_gate)
        {
            var old = _probed[index];
            var now = _time.GetUtcNow();
            var failures = old.ConsecutiveFailures + 1;
            health = kind switch
            {
                NodeFailureKind.Unreachable or NodeFailureKind.Configuration => NodeHealth.Down,
                NodeFailureKind.Timeout when failures >= _options.FailedProbesBeforeDown || old.Health == NodeHealth.Down => NodeHealth.Down,
                NodeFailureKind.Busy when old.Health != NodeHealth.Unknown => old.Health,
                _ => NodeHealth.Suspect,
            };
            _probed[index] = old with
            {
                Health = health,
                ConsecutiveFailures = failures,
                LastError = DescribeFailure(exception, kind),
                LastException = exception,
                HasConfigurationFailure = kind == NodeFailureKind.Configuration,
                StateSince = old.Health != health ? now : old.StateSince,
                ProbeCount = old.ProbeCount + 1,
            };
            PublishLocked(kind == NodeFailureKind.Timeout ? $"{cause}:timeout" : cause, now);
        }

        AfterPublish();
        return kind == NodeFailureKind.Timeout && health != NodeHealth.Down;
    }

    private string DescribeFailure(Exception exception, NodeFailureKind kind) => exception switch
    {
        _ when kind == NodeFailureKind.Timeout => string.Create(CultureInfo.InvariantCulture, $"no answer within {_options.ProbeTimeout.TotalSeconds:0.###} s"),
        PostgresException pg => $"{pg.SqlState}: {pg.MessageText}",
        NpgsqlException { InnerException: SocketException socket } => SocketErrorText(socket.SocketErrorCode),
        NpgsqlException { InnerException: IOException or EndOfStreamException } => "connection closed by the server",
        _ => exception.Message,
    };

    private static string SocketErrorText(SocketError error) => error switch
    {
        SocketError.ConnectionRefused => "connection refused",
        SocketError.ConnectionReset => "connection reset",
        SocketError.HostNotFound or SocketError.NoData => "host not found",
        SocketError.HostUnreachable or SocketError.NetworkUnreachable => "host unreachable",
        SocketError.TimedOut => "connect timed out",
        _ => $"socket error {error}",
    };
}
