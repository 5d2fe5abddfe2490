namespace PgHa.Agent.Dcs.Etcd;

internal sealed partial class EtcdClient
{
    /// <summary>Grants a lease of <paramref name="ttl"/> (whole seconds, at least 1) and returns its id.</summary>
    public async Task<long> GrantLeaseAsync(TimeSpan ttl, CancellationToken ct)
    {
        var seconds = Math.Max(1, (long)Math.Ceiling(ttl.TotalSeconds));
        return (await PostAsync<LeaseGrantRequest, LeaseGrantResponse>("/v3/lease/grant", new(seconds), ct).ConfigureAwait(false)).Id;
    }

    /// <summary>
    /// Renews the lease once. Returns its new time to live, or <see langword="null"/> if it no longer exists (expired
    /// or revoked): whatever was attached to it is gone. The gateway's keepalive is a stream; one request gets one answer.
    /// </summary>
    public async Task<TimeSpan?> KeepAliveAsync(long lease, CancellationToken ct)
    {
        var envelope = await PostAsync<LeaseIdRequest, StreamEnvelope<LeaseKeepAliveResult>>("/v3/lease/keepalive", new(lease), ct).ConfigureAwait(false);
        if (envelope.Error is { } error)
            throw new EtcdException($"etcd lease keepalive: {error.Message}", error.StatusCode);
        return envelope.Result is { Ttl: > 0 } result ? TimeSpan.FromSeconds(result.Ttl) : null;
    }

    /// <summary>Revokes the lease, deleting every key attached to it; a lease already gone is not an error.</summary>
    public async Task RevokeLeaseAsync(long lease, CancellationToken ct)
    {
        try
        {
            await PostAsync<LeaseIdRequest, HeaderResponse>("/v3/lease/revoke", new(lease), ct).ConfigureAwait(false);
        }
        catch (EtcdException ex) when (ex.Code == 5)
        {
            // requested lease not found: already expired or revoked
        }
    }
}
