using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PgHa.Agent.Configuration;
using PgHa.Agent.Dcs.Etcd;

namespace PgHa.Agent.Rest;

/// <summary>
/// In front of every endpoint: requests that change the cluster (POST, PUT, PATCH, DELETE) must come from an allowed
/// network (403) and carry a configured credential (401), in that order and before their body is read; bodies over
/// <see cref="MaxBodyBytes"/> get 413; and a
/// failure while serving maps to a clear status instead of a 500: a DCS that does not answer is 503, bad input 400.
/// </summary>
internal static partial class RestGuard
{
    /// <summary>The largest request body accepted (Kestrel's limit too): every body the API reads is a few hundred bytes.</summary>
    public const long MaxBodyBytes = 64 * 1024;

    /// <summary>Kestrel's limit: how much of a too-large body is read and discarded so that its 413 reaches the client.</summary>
    public const long DrainBytes = 1024 * 1024;

    public static void Use(WebApplication app)
    {
        var options = app.Services.GetRequiredService<AgentOptions>();
        var allowlist = new RestAllowlist(options.RestAllowlist);
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("PgHa.Agent.Rest");
        app.Use((context, next) => GuardAsync(context, next, options, allowlist, logger));
    }

    private static async Task GuardAsync(HttpContext context, RequestDelegate next, AgentOptions options, RestAllowlist allowlist, ILogger logger)
    {
        var request = context.Request;
        var changes = !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method));
        if (changes && !allowlist.Allows(context.Connection.RemoteIpAddress))
        {
            LogRefused(logger, request.Method, request.Path, context.Connection.RemoteIpAddress?.ToString(), "not in RestAllowlist");
            await WriteAsync(context, 403, "Access is denied: client address not in the allowlist").ConfigureAwait(false);
            return;
        }

        if (changes && RestAuth.IsRequired(options) && !RestAuth.Accepts(options, request.Headers.Authorization))
        {
            LogRefused(logger, request.Method, request.Path, context.Connection.RemoteIpAddress?.ToString(), "not authenticated");
            context.Response.Headers.WWWAuthenticate = RestAuth.Challenges(options);
            await WriteAsync(context, 401, request.Headers.Authorization.Count == 0 ? "no auth header received" : "not authenticated").ConfigureAwait(false);
            return;
        }

        if (changes && !await BufferBodyAsync(context).ConfigureAwait(false))
            return;

        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (BadHttpRequestException ex) when (!context.Response.HasStarted)
        {
            // Kestrel's own limits (a chunked body over MaxRequestBodySize: 413) and malformed requests.
            await WriteAsync(context, ex.StatusCode, ex.StatusCode == 413 ? $"Request body too large: at most {MaxBodyBytes} bytes" : ex.Message).ConfigureAwait(false);
        }
        catch (JsonException ex) when (!context.Response.HasStarted)
        {
            await WriteAsync(context, 400, "Invalid JSON: " + ex.Message).ConfigureAwait(false);
        }
        catch (Exception ex) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested
                                   && ex is EtcdException or HttpRequestException or TimeoutException or OperationCanceledException)
        {
            LogDcsFailed(logger, request.Method, request.Path, ex.Message);
            await WriteAsync(context, 503, "DCS unavailable: " + ex.Message).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Reads the body into memory, at most <see cref="MaxBodyBytes"/>; a larger one is read to its end (up to
    /// <see cref="DrainBytes"/>) and answered 413. Closing a connection with unread data resets it, and the client would
    /// lose the 413 with it.
    /// </summary>
    private static async Task<bool> BufferBodyAsync(HttpContext context)
    {
        var body = new MemoryStream();
        var chunk = new byte[8192];
        var tooLarge = false;
        try
        {
            int read;
            while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted).ConfigureAwait(false)) > 0)
            {
                tooLarge |= body.Length + read > MaxBodyBytes;
                if (!tooLarge)
                    body.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == 413)
        {
            tooLarge = true;
            context.Response.Headers.Connection = "close";
        }

        if (tooLarge)
        {
            await WriteAsync(context, 413, $"Request body too large: at most {MaxBodyBytes} bytes").ConfigureAwait(false);
            return false;
        }

        body.Position = 0;
        context.Request.Body = body;
        return true;
    }

    private static async Task WriteAsync(HttpContext context, int status, string message)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(message);
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.ContentLength = bytes.Length;
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted).ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 620, Level = LogLevel.Warning, Message = "REST {Method} {Path} from {Client} refused: {Reason}")]
    private static partial void LogRefused(ILogger logger, string method, string path, string? client, string reason);

    [LoggerMessage(EventId = 621, Level = LogLevel.Warning, Message = "REST {Method} {Path} answered 503: the DCS did not answer ({Error})")]
    private static partial void LogDcsFailed(ILogger logger, string method, string path, string error);
}
