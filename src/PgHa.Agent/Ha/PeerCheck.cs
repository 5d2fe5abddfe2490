using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using PgHa.Agent.Configuration;
using PgHa.Agent.Dcs;
using PgHa.Agent.Postgres;

namespace PgHa.Agent.Ha;

/// <summary>
/// Patroni's <c>_is_healthiest_node</c>: before a replica races for a missing leader key, it asks every other member's
/// REST API how it is. A missing key is not proof that the leader is gone (<c>etcdctl del</c>, a snapshot restore, a
/// tooling mistake), so the race is refused while any member answers that it runs as a primary, or that it holds WAL
/// beyond ours. Members that do not answer within <see cref="Budget"/> do not block: a dead or frozen leader cannot answer.
/// </summary>
internal sealed partial class PeerCheck(AgentOptions options, ILogger<PeerCheck> logger) : IDisposable
{
    /// <summary>How long all the questions together may take.</summary>
    internal static readonly TimeSpan Budget = TimeSpan.FromSeconds(2);

    private readonly HttpClient _http = Rest.RestHttpClient.Create(options, Budget); // with TLS, the members' CA and our client certificate
    private string? _lastRefusal;
    private long _lastRefusalLogged;

    /// <summary>What one member answered on <c>GET /patroni</c>: its role, state, timeline and WAL position (a replica's: received or replayed, whichever is further).</summary>
    internal sealed record PeerStatus(string Name, string? Role, string? State, int? Timeline, long? WalPosition);

    /// <summary><see langword="true"/> if no member that answers stands in the way of this replica's race.</summary>
    public async Task<bool> IsHealthiestAsync(ClusterView view, PostgresState? mine, CancellationToken ct)
    {
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(ct);
        budget.CancelAfter(Budget);
        var asked = view.Members.Where(m => m.Key != options.Name).Select(m => AskAsync(m.Key, m.Value.ApiUrl, budget.Token));
        var answers = await Task.WhenAll(asked).ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();
        var reason = Refusal(view, options, PositionOf(mine), mine?.Timeline ?? 0, answers.OfType<PeerStatus>());
        // Logged when the reason changes, then every 10 s while it lasts, not every cycle.
        if (reason is not null && (reason != _lastRefusal || Stopwatch.GetElapsedTime(_lastRefusalLogged) > TimeSpan.FromSeconds(10)))
        {
            LogRefused(logger, options.Name, reason);
            _lastRefusalLogged = Stopwatch.GetTimestamp();
        }

        _lastRefusal = reason;
        return reason is null;
    }

    /// <summary>Why this member must not race, given what its peers answered; <see langword="null"/> if nothing stands in the way.</summary>
    internal static string? Refusal(ClusterView view, AgentOptions options, long myPosition, int myTimeline, IEnumerable<PeerStatus> answers)
    {
        var synchronous = view.SynchronousMode ?? options.SynchronousMode;
        foreach (var peer in answers)
        {
            if (peer.Role is "primary" or "master" && peer.State == "running")
                return $"{peer.Name} answers that it is still running as the primary";
            // As in Patroni: only members that may be promoted count, and in synchronous mode only the synchronous
            // standby may be promoted (the former leader being ahead of it is expected: it is still reachable).
            if (synchronous || peer.Role != "replica" || peer.State != "running" || peer.WalPosition is not { } theirs
                || !view.Members.TryGetValue(peer.Name, out var member) || !FailoverEligibility.CanFailover(member))
                continue;
            if ((peer.Timeline ?? 0) > myTimeline)
                return $"{peer.Name} is on a newer timeline ({peer.Timeline} vs {myTimeline})";
            if ((peer.Timeline ?? 0) == myTimeline && theirs > myPosition)
                return $"{peer.Name} has WAL beyond ours (position {theirs} vs {myPosition})";
        }

        return null;
    }

    /// <summary>Parses a <c>/patroni</c> document (ours or Patroni's), or <see langword="null"/>.</summary>
    internal static PeerStatus? Parse(string name, string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                return null;
            long? position = null;
            if (root.TryGetProperty("xlog", out var xlog) && xlog.ValueKind == JsonValueKind.Object)
                position = new[] { "location", "received_location", "replayed_location" }.Select(p => Long(xlog, p)).Max();
            return new PeerStatus(name, Text(root, "role"), Text(root, "state"), (int?)Long(root, "timeline"), position);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public void Dispose() => _http.Dispose();

    private async Task<PeerStatus?> AskAsync(string name, string apiUrl, CancellationToken ct)
    {
        if (!Uri.TryCreate(apiUrl, UriKind.Absolute, out var uri))
            return null;
        try
        {
            return Parse(name, await _http.GetStringAsync(uri, ct).ConfigureAwait(false));
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or TaskCanceledException)
        {
            return null; // no answer: a dead or frozen member does not block the race
        }
    }

    private static long PositionOf(PostgresState? s) => s is null ? 0 : Math.Max(s.WalPosition, Math.Max(s.ReceivedPosition ?? 0, s.ReplayedPosition ?? 0));

    private static string? Text(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static long? Long(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var l) ? l : null;

    [LoggerMessage(EventId = 640, Level = LogLevel.Warning, Message = "{Member}: no leader key, but not racing for it: {Reason}")]
    private static partial void LogRefused(ILogger logger, string member, string reason);
}
