using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;

namespace PgHa.Agent.Dcs.Etcd;

/// <summary>
/// etcd v3 through its JSON gateway (<c>/v3/...</c>), with HttpClient and System.Text.Json: there is no etcd
/// package on our feed, and the gateway is part of every etcd since 3.3. Requests go to one member and move on to
/// the next when it does not answer in time; the member that answered last is tried first next time.
/// </summary>
internal sealed partial class EtcdClient : IDisposable
{
    internal static readonly JsonSerializerOptions Json = new()
    {
        NumberHandling = JsonNumberHandling.AllowReadingFromString | JsonNumberHandling.WriteAsString,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly HttpClient _http;
    private readonly EtcdClientOptions _options;
    private readonly ILogger _logger;
    private int _current;
    private string? _authToken;

    public EtcdClient(EtcdClientOptions options, ILogger logger, HttpMessageHandler? handler = null)
    {
        var errors = options.Validate();
        if (errors.Count > 0)
            throw new ArgumentException(string.Join(" ", errors), nameof(options));
        _options = options;
        _logger = logger;
        // Timeouts are per request (RequestTimeout) or none at all (watch streams).
        _http = new HttpClient(handler ?? new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30) }) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>The member requests go to first.</summary>
    public Uri CurrentEndpoint => _options.Endpoints[Volatile.Read(ref _current)];

    public void Dispose() => _http.Dispose();

    internal static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    internal static string Text(byte[]? bytes) => bytes is null ? "" : Encoding.UTF8.GetString(bytes);

    /// <summary>The end of the key range that holds every key starting with <paramref name="prefix"/>.</summary>
    internal static byte[] PrefixEnd(byte[] prefix)
    {
        var end = (byte[])prefix.Clone();
        for (var i = end.Length - 1; i >= 0; i--)
        {
            if (end[i] < 0xFF)
            {
                end[i]++;
                return end[..(i + 1)];
            }
        }

        return [0]; // every key
    }

    /// <summary>Sends one unary request, trying each member in turn from the current one.</summary>
    internal async Task<TResponse> PostAsync<TRequest, TResponse>(string path, TRequest request, CancellationToken ct)
    {
        var endpoints = _options.Endpoints;
        var failures = new List<string>();
        Exception? last = null;
        for (var i = 0; i < endpoints.Count; i++)
        {
            var index = (Volatile.Read(ref _current) + i) % endpoints.Count;
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(_options.RequestTimeout);
                var result = await SendAsync<TRequest, TResponse>(endpoints[index], path, request, timeout.Token).ConfigureAwait(false);
                if (index != _current)
                    LogSwitched(_logger, endpoints[index]);
                Volatile.Write(ref _current, index);
                return result;
            }
            catch (Exception ex) when (!ct.IsCancellationRequested && IsMemberFailure(ex))
            {
                last = ex;
                failures.Add($"{endpoints[index]}: {ex.Message}");
            }
        }

        throw new EtcdException($"No etcd member answered {path}: {string.Join("; ", failures)}", code: null, last);
    }

    private async Task<TResponse> SendAsync<TRequest, TResponse>(Uri endpoint, string path, TRequest request, CancellationToken ct, bool authenticated = false)
    {
        using var message = await CreateRequestAsync(endpoint, path, request, ct).ConfigureAwait(false);
        using var response = await _http.SendAsync(message, ct).ConfigureAwait(false);
        if (response.IsSuccessStatusCode)
            return (await response.Content.ReadFromJsonAsync<TResponse>(Json, ct).ConfigureAwait(false))!;

        var error = await ReadErrorAsync(response, ct).ConfigureAwait(false);
        // 16 unauthenticated / invalid token: the token expired (etcd's simple tokens live 5 min); get a new one once.
        if (error.StatusCode == 16 && _options.Username is not null && !authenticated)
        {
            _authToken = null;
            return await SendAsync<TRequest, TResponse>(endpoint, path, request, ct, authenticated: true).ConfigureAwait(false);
        }

        throw new EtcdException($"etcd {endpoint}{path}: {error.Message} (code {error.StatusCode}, HTTP {(int)response.StatusCode})", error.StatusCode);
    }

    private async Task<HttpRequestMessage> CreateRequestAsync<TRequest>(Uri endpoint, string path, TRequest request, CancellationToken ct)
    {
        var message = new HttpRequestMessage(HttpMethod.Post, new Uri(endpoint, path)) { Content = JsonContent.Create(request, options: Json) };
        if (_options.Username is { } user && path != "/v3/auth/authenticate")
            message.Headers.TryAddWithoutValidation("Authorization", _authToken ??= await AuthenticateAsync(endpoint, user, _options.Password!, ct).ConfigureAwait(false));
        return message;
    }

    private async Task<string> AuthenticateAsync(Uri endpoint, string user, string password, CancellationToken ct)
        => (await SendAsync<AuthenticateRequest, AuthenticateResponse>(endpoint, "/v3/auth/authenticate", new(user, password), ct).ConfigureAwait(false)).Token;

    private static async Task<ErrorBody> ReadErrorAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync<ErrorBody>(Json, ct).ConfigureAwait(false) ?? new ErrorBody(response.ReasonPhrase, 2);
        }
        catch (JsonException)
        {
            return new ErrorBody($"{(int)response.StatusCode} {response.ReasonPhrase}", 2);
        }
    }

    /// <summary>The member did not answer (or answered "unavailable"): worth trying another one.</summary>
    private static bool IsMemberFailure(Exception exception)
        => exception is HttpRequestException or OperationCanceledException or IOException or EtcdException { IsUnavailable: true };

    [LoggerMessage(EventId = 100, Level = LogLevel.Warning, Message = "etcd requests now go to {Endpoint}")]
    private static partial void LogSwitched(ILogger logger, Uri endpoint);
}
