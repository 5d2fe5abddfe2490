using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PgHa.Agent.Configuration;
using PgHa.Agent.Dcs;
using PgHa.Agent.Dcs.Etcd;
using PgHa.Agent.Ha;

namespace PgHa.Agent.Hosting;

/// <summary>
/// Patroni's <c>ensure_unique_name</c>, run before the agent does anything: a member key with this agent's name that
/// hangs on a lease (so its owner renews it) and whose REST API answers belongs to another live agent. Two agents with
/// one name would renew the same leader key, so this one refuses to start.
/// </summary>
internal static partial class UniqueNameCheck
{
    /// <summary>The exit code of an agent that refused to start under a live member's name.</summary>
    public const int ExitCode = 3;

    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(2);

    /// <summary><see langword="true"/> if this agent may run under its name.</summary>
    public static async Task<bool> IsUniqueAsync(IServiceProvider services, CancellationToken ct)
    {
        var options = services.GetRequiredService<AgentOptions>();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(UniqueNameCheck));
        var dcs = services.GetRequiredService<EtcdDcs>();
        if (await ReadMemberAsync(services.GetRequiredService<EtcdClient>(), dcs.Keys.Member(options.Name), options, logger, ct).ConfigureAwait(false) is not { } apiUrl)
            return true;
        if (!await AnswersAsync(apiUrl, options, ct).ConfigureAwait(false))
            return true;
        LogDuplicate(logger, options.Name, apiUrl);
        return false;
    }

    /// <summary>The api_url of a live member key with our name, or <see langword="null"/> (none, no lease, or etcd out of reach).</summary>
    private static async Task<string?> ReadMemberAsync(EtcdClient etcd, string key, AgentOptions options, ILogger logger, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            try
            {
                var kv = await etcd.GetAsync(key, ct).ConfigureAwait(false);
                if (kv is not { Lease: not 0, Value: { } value })
                    return null;
                return JsonSerializer.Deserialize<MemberStatus>(value)?.ApiUrl;
            }
            catch (JsonException)
            {
                return null;
            }
            catch (Exception ex) when (HaLoop.IsDcsFailure(ex, ct))
            {
                // etcd out of reach: an agent that cannot reach it cannot lead either; the loop rides the outage out.
                if (Stopwatch.GetElapsedTime(started) > options.Ttl)
                {
                    LogUnchecked(logger, options.Name, ex.Message);
                    return null;
                }

                await Task.Delay(options.LoopWait, ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Any HTTP answer counts, as in Patroni: a process serves that member's API.</summary>
    private static async Task<bool> AnswersAsync(string apiUrl, AgentOptions options, CancellationToken ct)
    {
        if (!Uri.TryCreate(apiUrl, UriKind.Absolute, out var uri))
            return false;
        using var http = Rest.RestHttpClient.Create(options, AskTimeout); // with TLS, the same CA and client certificate as ctl
        try
        {
            using var response = await http.GetAsync(uri, ct).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            return false;
        }
    }

    [LoggerMessage(EventId = 650, Level = LogLevel.Critical, Message = "Refusing to start: a member named {Member} is live in the DCS and its REST API at {ApiUrl} answers. Every member needs a unique Name.")]
    private static partial void LogDuplicate(ILogger logger, string member, string apiUrl);

    [LoggerMessage(EventId = 651, Level = LogLevel.Warning, Message = "{Member}: could not check that no live member has this name (etcd: {Reason}); starting anyway")]
    private static partial void LogUnchecked(ILogger logger, string member, string reason);
}
