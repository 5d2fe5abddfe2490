using System.Net.Http.Headers;
using PgHa.Agent.Configuration;

namespace PgHa.Agent.Rest;

/// <summary>
/// The one way this process calls a member's REST API (ctl, and the agent asking its peers): trusts
/// <see cref="AgentOptions.RestCaFile"/>, presents <see cref="AgentOptions.RestClientCertFile"/>, and authenticates
/// changing requests with the configured token or Basic user.
/// </summary>
internal static class RestHttpClient
{
    public static HttpClient Create(AgentOptions options, TimeSpan timeout)
    {
        var handler = new SocketsHttpHandler { SslOptions = RestTls.ClientOptions(options), PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30) };
        var http = new HttpClient(handler) { Timeout = timeout };
        if (Authorization(options) is { } authorization)
            http.DefaultRequestHeaders.Authorization = authorization;
        return http;
    }

    /// <summary>Bearer with a token, else Basic with a user, else none.</summary>
    public static AuthenticationHeaderValue? Authorization(AgentOptions options)
        => options.RestToken is { Length: > 0 } token ? new AuthenticationHeaderValue("Bearer", token)
            : options.RestUsername is { Length: > 0 } user ? new AuthenticationHeaderValue("Basic", RestAuth.Basic(user, options.RestPassword))
            : null;
}
