using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace PgHa.Client.AspNetCore;

/// <summary>
/// Carries a client's consistency token across requests. On the way in, the token from the cookie or header (the
/// later of the two) is given to the request's scoped <see cref="PgHaSession"/>; reads made through that session then
/// see everything the client wrote before. On the way out, if the request's writes moved the session's token, the
/// new token is sent back as a cookie and a header. A token is a WAL position: it reveals nothing about the data, and
/// a forged one can at most make this client's reads wait <see cref="PgHaOptions.ReadYourWritesWait"/> and go to
/// the primary.
/// </summary>
internal sealed class PgHaReadYourWritesMiddleware(RequestDelegate next, PgHaReadYourWritesOptions options)
{
    public Task InvokeAsync(HttpContext context)
    {
        var session = options.ServiceKey is null
            ? context.RequestServices.GetRequiredService<PgHaSession>()
            : context.RequestServices.GetRequiredKeyedService<PgHaSession>(options.ServiceKey);
        var incoming = Incoming(context.Request);
        session.Observe(incoming);
        context.Response.OnStarting(() =>
        {
            var outgoing = session.ConsistencyToken;
            if (outgoing > incoming)
                Send(context.Response, outgoing);
            return Task.CompletedTask;
        });
        return next(context);
    }

    private PgHaConsistencyToken Incoming(HttpRequest request)
    {
        var token = PgHaConsistencyToken.None;
        if (options.CookieName is { } cookie && PgHaConsistencyToken.TryParse(request.Cookies[cookie], out var fromCookie))
            token = PgHaConsistencyToken.Max(token, fromCookie);
        if (options.HeaderName is { } header && PgHaConsistencyToken.TryParse(request.Headers[header].ToString(), out var fromHeader))
            token = PgHaConsistencyToken.Max(token, fromHeader);
        return token;
    }

    private void Send(HttpResponse response, PgHaConsistencyToken token)
    {
        var text = token.ToString();
        if (options.HeaderName is { } header)
            response.Headers[header] = text;
        if (options.CookieName is { } cookie)
        {
            response.Cookies.Append(cookie, text, new CookieOptions
            {
                HttpOnly = true,
                IsEssential = true, // needed for correctness, not tracking: it must not wait for a consent banner
                SameSite = SameSiteMode.Lax,
                Secure = response.HttpContext.Request.IsHttps,
                MaxAge = options.CookieLifetime,
                Path = "/",
            });
        }
    }
}
