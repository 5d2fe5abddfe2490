namespace PgHa.Client.AspNetCore;

/// <summary>How the read-your-writes middleware carries a client's consistency token between requests.</summary>
public sealed class PgHaReadYourWritesOptions
{
    /// <summary>The cookie the token travels in (browsers); <see langword="null"/> to not use a cookie.</summary>
    /// <value>Default: <c>"pgha-token"</c>.</value>
    public string? CookieName { get; set; } = "pgha-token";

    /// <summary>The request and response header the token travels in (API clients that echo it back); <see langword="null"/> to not use one.</summary>
    /// <value>Default: <c>"PgHa-Consistency-Token"</c>.</value>
    public string? HeaderName { get; set; } = "PgHa-Consistency-Token";

    /// <summary>
    /// How long the cookie lives. A token only matters until every replica has replayed past it, which the lag bound
    /// keeps to seconds; a short life keeps an old token from costing a wait on a replica that fell behind later.
    /// </summary>
    /// <value>Default: 1 min.</value>
    public TimeSpan CookieLifetime { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The key of an <c>AddKeyedPgHa</c> registration whose session to use, or <see langword="null"/> for <c>AddPgHa</c>'s.</summary>
    public object? ServiceKey { get; set; }
}
