using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace PgHa.Agent.Dcs.Etcd;

/// <summary>A change seen by a watch.</summary>
internal sealed record EtcdWatchEvent(bool IsDelete, string Key, string Value, long ModRevision);

internal sealed partial class EtcdClient
{
    /// <summary>
    /// Streams changes to the key (or every key under it, with <paramref name="prefix"/>) from <paramref name="fromRevision"/>
    /// on (0: from now). The gateway answers with one JSON object per line. Ends with an exception when the stream
    /// breaks or etcd cancels the watch (e.g. the revision was compacted): read the state again and watch anew.
    /// </summary>
    public async IAsyncEnumerable<EtcdWatchEvent> WatchAsync(string key, bool prefix, long fromRevision, [EnumeratorCancellation] CancellationToken ct)
    {
        var start = Bytes(key);
        var request = new WatchRequest(new WatchCreate(start, prefix ? PrefixEnd(start) : null, fromRevision));
        using var message = await CreateRequestAsync(CurrentEndpoint, "/v3/watch", request, ct).ConfigureAwait(false);
        using var response = await SendStreamAsync(message, ct).ConfigureAwait(false);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false));
        while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
        {
            if (line.Length == 0)
                continue;
            var envelope = JsonSerializer.Deserialize<StreamEnvelope<WatchResponse>>(line, Json)!;
            if (envelope.Error is { } error)
                throw new EtcdException($"etcd watch on {key}: {error.Message}", error.StatusCode);
            var result = envelope.Result!;
            if (result.Canceled)
                throw new EtcdException($"etcd cancelled the watch on {key}: {result.CancelReason} (compacted up to {result.CompactRevision})", code: 11);
            foreach (var e in result.Events ?? [])
                yield return new EtcdWatchEvent(e.Type == "DELETE", Text(e.Kv.Key), Text(e.Kv.Value), e.Kv.ModRevision);
        }

        throw new EtcdException($"The etcd watch stream on {key} ended.", code: 14);
    }

    private async Task<HttpResponseMessage> SendStreamAsync(HttpRequestMessage message, CancellationToken ct)
    {
        HttpResponseMessage? response = null;
        try
        {
            // Only the headers within the request timeout; the body streams for as long as the watch lives.
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(_options.RequestTimeout);
            response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested && IsMemberFailure(ex))
        {
            Volatile.Write(ref _current, (_current + 1) % _options.Endpoints.Count); // the next watch tries another member
            throw new EtcdException($"etcd watch: {message.RequestUri} did not answer: {ex.Message}", code: null, ex);
        }

        if (!response.IsSuccessStatusCode)
        {
            var error = await response.Content.ReadFromJsonAsync<ErrorBody>(Json, ct).ConfigureAwait(false);
            response.Dispose();
            throw new EtcdException($"etcd watch: {error?.Message} (code {error?.StatusCode})", error?.StatusCode);
        }

        return response;
    }
}
