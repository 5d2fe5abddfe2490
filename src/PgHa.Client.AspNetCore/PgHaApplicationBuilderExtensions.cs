using PgHa.Client;
using PgHa.Client.AspNetCore;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Adds PgHa's read-your-writes middleware to the pipeline.</summary>
public static class PgHaApplicationBuilderExtensions
{
    /// <summary>
    /// Carries each client's consistency token between requests (cookie and header, see
    /// <see cref="PgHaReadYourWritesOptions"/>), so reads through the request's <see cref="PgHaSession"/> (inject it,
    /// or pass it to EF Core's <c>UsePgHa</c>) see the client's own earlier writes even when they go to replicas.
    /// Place it before the endpoints that read or write. Needs <c>services.AddPgHa(...)</c>.
    /// </summary>
    public static IApplicationBuilder UsePgHaReadYourWrites(this IApplicationBuilder app, Action<PgHaReadYourWritesOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = new PgHaReadYourWritesOptions();
        configure?.Invoke(options);
        if (options.CookieName is null && options.HeaderName is null)
            throw new ArgumentException("PgHa read-your-writes needs a cookie, a header or both to carry the token; both are null.", nameof(configure));
        if (options.CookieLifetime <= TimeSpan.Zero)
            throw new ArgumentException($"CookieLifetime must be positive (was {options.CookieLifetime}).", nameof(configure));
        return app.UseMiddleware<PgHaReadYourWritesMiddleware>(options);
    }
}
