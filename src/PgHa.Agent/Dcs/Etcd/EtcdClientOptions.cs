namespace PgHa.Agent.Dcs.Etcd;

/// <summary>How the agent reaches etcd (v3 API through its JSON gateway).</summary>
internal sealed class EtcdClientOptions
{
    /// <summary>Client URLs of the etcd members, e.g. <c>http://10.0.0.1:2379</c>. Requests go to one and move to the next when it fails.</summary>
    public IReadOnlyList<Uri> Endpoints { get; init; } = [];

    /// <summary>With <see cref="Password"/>: authenticate (<c>/v3/auth/authenticate</c>) and send the token with every request.</summary>
    public string? Username { get; init; }

    /// <summary>The password of <see cref="Username"/>.</summary>
    public string? Password { get; init; }

    /// <summary>How long one request to one member may take before the next member is tried.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(2);

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Endpoints.Count == 0)
            errors.Add("At least one etcd endpoint is required.");
        foreach (var endpoint in Endpoints)
        {
            if (!endpoint.IsAbsoluteUri || endpoint.Scheme is not ("http" or "https"))
                errors.Add($"etcd endpoint '{endpoint}' must be an absolute http:// or https:// URL.");
        }

        if ((Username is null) != (Password is null))
            errors.Add("etcd Username and Password go together.");
        if (RequestTimeout <= TimeSpan.Zero)
            errors.Add($"etcd RequestTimeout must be positive (was {RequestTimeout}).");
        return errors;
    }
}
