using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using PgHa.Agent.Configuration;
using PgHa.Agent.Dcs;
using PgHa.Agent.Ha;

namespace PgHa.Agent.Rest;

/// <summary>
/// The POST endpoints, with Patroni's checks, codes and messages (patronictl and scripts read them). Who may call
/// them (allowlist, token or Basic user) is checked before, by <see cref="RestGuard"/>.
/// </summary>
internal static class ActionEndpoints
{
    /// <summary>How long <c>/switchover</c> and <c>/failover</c> wait for the new leader before answering 503 "status unknown".</summary>
    internal static readonly TimeSpan ResultWait = TimeSpan.FromSeconds(30);

    public static void Map(WebApplication app)
    {
        app.MapPost("/switchover", (HttpRequest r, EtcdDcs dcs, AgentOptions o, TimeProvider clock, CancellationToken ct) => SwitchAsync(r, dcs, o, clock, failover: false, ct));
        app.MapPost("/failover", (HttpRequest r, EtcdDcs dcs, AgentOptions o, TimeProvider clock, CancellationToken ct) => SwitchAsync(r, dcs, o, clock, failover: true, ct));
        app.MapDelete("/switchover", () => Text(404, "no switchover is scheduled"));
        app.MapPost("/restart", (OperatorRequests q) => RequestAsync(q, OperatorRequestKind.Restart, "restart"));
        app.MapPost("/reinitialize", (OperatorRequests q) => RequestAsync(q, OperatorRequestKind.Reinitialize, "reinitialize"));
    }

    private static async Task<IResult> SwitchAsync(HttpRequest request, EtcdDcs dcs, AgentOptions options, TimeProvider clock, bool failover, CancellationToken ct)
    {
        SwitchBody? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync<SwitchBody>(request.Body, cancellationToken: ct).ConfigureAwait(false);
        }
        catch (JsonException ex)
        {
            return Text(400, "Invalid JSON: " + ex.Message);
        }

        var view = await dcs.LoadAsync(ct).ConfigureAwait(false);
        var (error, candidate) = SwitchoverRules.Check(view, options, body ?? new SwitchBody(), failover);
        if (error is not null)
            return Text(error.Value.Code, error.Value.Message);

        var action = body?.Leader is not null || view.Leader is not null ? "Switchover" : "Failover";
        var oldLeader = view.Leader;
        // With a leader alive a failover is a switchover: the candidate waits to replay the leader's last position.
        await dcs.WriteAsync(dcs.Keys.Failover, new FailoverRequest(body?.Leader ?? view.Leader, candidate, clock.GetUtcNow()).ToJson(), ct).ConfigureAwait(false);
        var deadline = clock.GetUtcNow() + ResultWait;
        while (clock.GetUtcNow() < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), clock, ct).ConfigureAwait(false);
            var now = await dcs.LoadAsync(ct).ConfigureAwait(false);
            if (now.Leader == candidate)
                return Text(200, $"Successfully {(action == "Switchover" ? "switched over" : "failed over")} to \"{candidate}\"");
            if (now.Leader is { } other && other != oldLeader && now.Failover is null)
                return Text(200, $"{(action == "Switchover" ? "Switched over" : "Failed over")} to \"{other}\" instead of \"{candidate}\"");
        }

        return Text(503, $"{action} status unknown after {ResultWait.TotalSeconds:0} seconds; operation may still be in progress");
    }

    private static async Task<IResult> RequestAsync(OperatorRequests requests, OperatorRequestKind kind, string name)
    {
        if (requests.TryEnqueue(kind) is not { } answer)
            return Text(503, $"{name} already in progress");
        try
        {
            var (code, message) = await answer.WaitAsync(TimeSpan.FromSeconds(90)).ConfigureAwait(false);
            return Text(code, message);
        }
        catch (TimeoutException)
        {
            return Text(503, $"{name} status unknown: still in progress after 90 seconds");
        }
        catch (Exception ex)
        {
            return Text(503, $"{name} failed: {ex.Message}");
        }
    }

    private static IResult Text(int code, string message) => Results.Text(message, "text/plain", statusCode: code);
}
