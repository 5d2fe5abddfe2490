namespace PgHa.Agent.Dcs.Etcd;

internal sealed partial class EtcdClient
{
    /// <summary>The key's current value, or <see langword="null"/>.</summary>
    public async Task<KeyValue?> GetAsync(string key, CancellationToken ct)
    {
        var response = await PostAsync<RangeRequest, RangeResponse>("/v3/kv/range", new(Bytes(key)), ct).ConfigureAwait(false);
        return response.Kvs is [var kv, ..] ? kv : null;
    }

    /// <summary>Every key under <paramref name="prefix"/>, and the store's revision at that moment (to watch from).</summary>
    public async Task<(IReadOnlyList<KeyValue> Kvs, long Revision)> GetPrefixAsync(string prefix, CancellationToken ct)
    {
        var start = Bytes(prefix);
        var response = await PostAsync<RangeRequest, RangeResponse>("/v3/kv/range", new(start, PrefixEnd(start)), ct).ConfigureAwait(false);
        return (response.Kvs ?? [], response.Header.Revision);
    }

    /// <summary>Sets the key, attached to <paramref name="lease"/> (0: none); returns the new revision.</summary>
    public async Task<long> PutAsync(string key, string value, long lease, CancellationToken ct)
    {
        var response = await PostAsync<PutRequest, HeaderResponse>("/v3/kv/put", new(Bytes(key), Bytes(value), lease), ct).ConfigureAwait(false);
        return response.Header.Revision;
    }

    /// <summary>Creates the key only if it does not exist (the leader race): <see langword="true"/> if this call created it.</summary>
    public Task<bool> CreateAsync(string key, string value, long lease, CancellationToken ct)
        => TxnAsync(new(Bytes(key), "CREATE", CreateRevision: 0), new RequestOp(Put: new(Bytes(key), Bytes(value), lease)), ct);

    /// <summary>Sets the key only while it holds <paramref name="expected"/> (renewing one's own leader key): <see langword="true"/> if it did.</summary>
    public Task<bool> ReplaceAsync(string key, string expected, string value, long lease, CancellationToken ct)
        => TxnAsync(new(Bytes(key), "VALUE", Value: Bytes(expected)), new RequestOp(Put: new(Bytes(key), Bytes(value), lease)), ct);

    /// <summary>Sets <paramref name="key"/> only while <paramref name="guardKey"/> holds <paramref name="guardValue"/> (a write only the current leader may make).</summary>
    public Task<bool> PutIfAsync(string guardKey, string guardValue, string key, string value, CancellationToken ct)
        => TxnAsync(new(Bytes(guardKey), "VALUE", Value: Bytes(guardValue)), new RequestOp(Put: new(Bytes(key), Bytes(value), 0)), ct);

    /// <summary>Deletes the key only while it holds <paramref name="expected"/> (releasing one's own leader key).</summary>
    public Task<bool> DeleteIfAsync(string key, string expected, CancellationToken ct)
        => TxnAsync(new(Bytes(key), "VALUE", Value: Bytes(expected)), new RequestOp(Delete: new(Bytes(key))), ct);

    /// <summary>Deletes the key; returns how many keys were deleted (0 or 1).</summary>
    public async Task<long> DeleteAsync(string key, CancellationToken ct)
        => (await PostAsync<DeleteRangeRequest, DeleteRangeResponse>("/v3/kv/deleterange", new(Bytes(key)), ct).ConfigureAwait(false)).Deleted;

    /// <summary>Deletes every key under <paramref name="prefix"/>.</summary>
    public async Task<long> DeletePrefixAsync(string prefix, CancellationToken ct)
    {
        var start = Bytes(prefix);
        return (await PostAsync<DeleteRangeRequest, DeleteRangeResponse>("/v3/kv/deleterange", new(start, PrefixEnd(start)), ct).ConfigureAwait(false)).Deleted;
    }

    private async Task<bool> TxnAsync(Compare compare, RequestOp onSuccess, CancellationToken ct)
    {
        var response = await PostAsync<TxnRequest, TxnResponse>("/v3/kv/txn", new([compare], [onSuccess], []), ct).ConfigureAwait(false);
        return response.Succeeded;
    }
}
