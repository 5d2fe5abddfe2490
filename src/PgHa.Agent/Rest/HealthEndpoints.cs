using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using PgHa.Agent.Configuration;
using PgHa.Agent.Ha;

namespace PgHa.Agent.Rest;

/// <summary>
/// Patroni's health checks (GET, HEAD, OPTIONS): 200 when this node is what the path asks for, 503 otherwise, with the
/// status JSON either way, so HAProxy <c>httpchk</c> configs written for Patroni work unchanged.
/// </summary>
internal static class HealthEndpoints
{
    private static readonly string[] Methods = ["GET", "HEAD", "OPTIONS"];

    public static void Map(WebApplication app)
    {
        foreach (var path in new[] { "/", "/primary", "/master", "/read-write", "/leader" })
            MapCheck(app, path, (s, state, _, _) => state.IsLeader(s));
        MapCheck(app, "/replica", (s, state, options, q) => ReplicaOk(s, state, options, q));
        MapCheck(app, "/read-only", (s, state, options, q) => state.IsLeader(s) || ReplicaOk(s, state, options, q));
        foreach (var path in new[] { "/sync", "/synchronous" })
            MapCheck(app, path, (s, state, options, q) => StatusDocument.IsSyncStandby(s, state) && ReplicaOk(s, state, options, q));
        foreach (var path in new[] { "/async", "/asynchronous" })
            MapCheck(app, path, (s, state, options, q) => !StatusDocument.IsSyncStandby(s, state) && ReplicaOk(s, state, options, q));
        MapCheck(app, "/health", (s, _, options, q) => s.PostgresStateName == "running" && TagsMatch(options, q));
        app.MapGet("/patroni", (AgentState state, AgentOptions options) => Results.Json(StatusDocument.Build(state.Current, state, options)));
        app.MapMethods("/liveness", Methods, (AgentState state, AgentOptions options)
            => Results.StatusCode(StatusDocument.IsAlive(state.Current, options) ? 200 : 503));
        app.MapMethods("/readiness", Methods, (HttpRequest request, AgentState state, AgentOptions options) =>
        {
            if (BadQuery(request.Query) is { } bad)
                return bad;
            var s = state.Current;
            if (state.IsLeader(s))
                return Results.StatusCode(200);
            var maximum = ByteSize.TryParse(request.Query["lag"], out var lag) ? lag : options.MaximumLagOnFailover;
            var ready = s.PostgresStateName == "running" && s.Postgres is { IsPrimary: false, IsStreaming: true } && !StatusDocument.IsLagging(s, maximum);
            return Results.StatusCode(ready ? 200 : 503);
        });
    }

    private static void MapCheck(WebApplication app, string path, Func<AgentSnapshot, AgentState, AgentOptions, IQueryCollection, bool> check)
        => app.MapMethods(path, Methods, (HttpRequest request, AgentState state, AgentOptions options) =>
        {
            if (BadQuery(request.Query) is { } bad)
                return bad;
            var s = state.Current;
            var ok = check(s, state, options, request.Query);
            return Results.Json(StatusDocument.Build(s, state, options), statusCode: ok ? 200 : 503);
        });

    /// <summary>A 400 for a <c>?lag=</c> that is not a size (garbage, negative, NaN, beyond 8 EiB), instead of ignoring it.</summary>
    private static IResult? BadQuery(IQueryCollection query)
        => query.TryGetValue("lag", out var lag) && !ByteSize.TryParse(lag, out _)
            ? Results.Text($"lag must be {ByteSize.Expected} (was '{lag}')", "text/plain", statusCode: 400)
            : null;

    /// <summary>A running, streaming-or-recovering replica, load-balanced, within <c>?lag=</c> (no limit without it) and matching <c>?replication_state=</c> and <c>?tag_*=</c>.</summary>
    private static bool ReplicaOk(AgentSnapshot s, AgentState state, AgentOptions options, IQueryCollection query)
    {
        if (options.NoLoadBalance || s.PostgresStateName != "running" || s.Postgres is not { IsPrimary: false } pg || state.IsLeader(s))
            return false;
        if (query.TryGetValue("lag", out var lagText) && ByteSize.TryParse(lagText, out var lag) && StatusDocument.IsLagging(s, lag))
            return false;
        if (query.TryGetValue("replication_state", out var wanted) && wanted != (pg.IsStreaming ? "streaming" : "in archive recovery"))
            return false;
        return TagsMatch(options, query);
    }

    private static bool TagsMatch(AgentOptions options, IQueryCollection query)
    {
        foreach (var (key, value) in query)
        {
            if (!key.StartsWith("tag_", StringComparison.Ordinal))
                continue;
            string? mine = key[4..] switch
            {
                "nofailover" => options.NoFailover ? "true" : "false",
                "noloadbalance" => options.NoLoadBalance ? "true" : "false",
                "failover_priority" => options.FailoverPriority.ToString(System.Globalization.CultureInfo.InvariantCulture),
                _ => null,
            };
            if (mine is null || !string.Equals(mine, value, StringComparison.OrdinalIgnoreCase))
                return false;
        }

        return true;
    }
}
