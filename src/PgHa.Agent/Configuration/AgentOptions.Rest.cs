namespace PgHa.Agent.Configuration;

/// <summary>The REST API's security settings (Patroni's <c>restapi.*</c>).</summary>
internal sealed partial class AgentOptions
{
    /// <summary>
    /// HTTP Basic user for the REST API's POST, PUT, PATCH and DELETE requests, with <see cref="RestPassword"/>
    /// (<c>restapi.authentication.username</c>); accepted beside <see cref="RestToken"/>, as patronictl sends Basic.
    /// </summary>
    /// <value>Default: <see langword="null"/> (no Basic authentication).</value>
    public string? RestUsername { get; set; }

    /// <summary>The Basic password (<c>restapi.authentication.password</c>).</summary>
    /// <value>Default: <see langword="null"/>.</value>
    public string? RestPassword { get; set; }

    /// <summary>
    /// Client addresses or CIDR networks allowed to send POST, PUT, PATCH and DELETE requests; others get 403 (<c>restapi.allowlist</c>).
    /// GETs stay open to every address, as health checks from load balancers need.
    /// </summary>
    /// <value>Default: empty (every address).</value>
    public List<string> RestAllowlist { get; set; } = [];

    /// <summary>PEM certificate (chain) the REST API serves over HTTPS, with <see cref="RestKeyFile"/> (<c>restapi.certfile</c>).</summary>
    /// <value>Default: <see langword="null"/> (plain HTTP).</value>
    public string? RestCertFile { get; set; }

    /// <summary>PEM private key of <see cref="RestCertFile"/> (<c>restapi.keyfile</c>).</summary>
    /// <value>Default: <see langword="null"/>.</value>
    public string? RestKeyFile { get; set; }

    /// <summary>
    /// PEM CA certificate(s): client certificates are validated against it, and <c>ctl</c> and the agent trust REST
    /// servers signed by it (<c>restapi.cafile</c>, <c>ctl.cacert</c>).
    /// </summary>
    /// <value>Default: <see langword="null"/> (the system's trust store).</value>
    public string? RestCaFile { get; set; }

    /// <summary>Client certificates over HTTPS: <c>none</c>, <c>optional</c> or <c>required</c> (<c>restapi.verify_client</c>).</summary>
    /// <value>Default: <c>none</c>.</value>
    public string RestVerifyClient { get; set; } = "none";

    /// <summary>PEM client certificate <c>ctl</c> and the agent present to REST servers, with <see cref="RestClientKeyFile"/> (<c>ctl.certfile</c>).</summary>
    /// <value>Default: <see langword="null"/> (none).</value>
    public string? RestClientCertFile { get; set; }

    /// <summary>PEM private key of <see cref="RestClientCertFile"/> (<c>ctl.keyfile</c>).</summary>
    /// <value>Default: <see langword="null"/>.</value>
    public string? RestClientKeyFile { get; set; }

    /// <summary>The REST API serves HTTPS.</summary>
    internal bool RestUsesTls() => !string.IsNullOrEmpty(RestCertFile);

    /// <summary>This member's <c>api_url</c> as published in the DCS.</summary>
    internal string RestApiUrl() => $"{(RestUsesTls() ? "https" : "http")}://{RestConnectAddress ?? RestListen}/patroni";
}
