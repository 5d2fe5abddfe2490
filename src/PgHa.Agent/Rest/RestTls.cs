using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using PgHa.Agent.Configuration;

namespace PgHa.Agent.Rest;

/// <summary>The REST API's HTTPS (Patroni's <c>restapi.certfile</c>, <c>keyfile</c>, <c>cafile</c>, <c>verify_client</c>).</summary>
internal static class RestTls
{
    /// <summary>Serves HTTPS on <paramref name="listen"/> when a certificate is configured; plain HTTP otherwise.</summary>
    public static void Configure(ListenOptions listen, AgentOptions options)
    {
        if (!options.RestUsesTls())
            return;
        var ca = string.IsNullOrEmpty(options.RestCaFile) ? null : LoadCa(options.RestCaFile);
        listen.UseHttps(new HttpsConnectionAdapterOptions
        {
            ServerCertificate = X509Certificate2.CreateFromPemFile(options.RestCertFile!, options.RestKeyFile),
            ClientCertificateMode = options.RestVerifyClient switch
            {
                "required" => ClientCertificateMode.RequireCertificate,
                "optional" => ClientCertificateMode.AllowCertificate,
                _ => ClientCertificateMode.NoCertificate,
            },
            ClientCertificateValidation = (certificate, _, _) => ca is not null && IsIssuedBy(certificate, ca),
        });
    }

    /// <summary>Every certificate in a PEM file (a CA bundle).</summary>
    public static X509Certificate2Collection LoadCa(string file)
    {
        var ca = new X509Certificate2Collection();
        ca.ImportFromPemFile(file);
        return ca;
    }

    /// <summary>The chain policy that trusts exactly the certificates in <paramref name="ca"/>, not the system's store.</summary>
    public static X509ChainPolicy TrustOnly(X509Certificate2Collection ca)
    {
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        policy.CustomTrustStore.AddRange(ca);
        return policy;
    }

    private static bool IsIssuedBy(X509Certificate2 certificate, X509Certificate2Collection ca)
    {
        using var chain = new X509Chain { ChainPolicy = TrustOnly(ca) };
        return chain.Build(certificate);
    }

    /// <summary>Client side: trust servers signed by <see cref="AgentOptions.RestCaFile"/> (host name still checked), and present the client certificate.</summary>
    public static SslClientAuthenticationOptions ClientOptions(AgentOptions options)
    {
        var ssl = new SslClientAuthenticationOptions();
        if (!string.IsNullOrEmpty(options.RestCaFile))
            ssl.CertificateChainPolicy = TrustOnly(LoadCa(options.RestCaFile));
        if (!string.IsNullOrEmpty(options.RestClientCertFile))
            ssl.ClientCertificates = [X509Certificate2.CreateFromPemFile(options.RestClientCertFile, options.RestClientKeyFile)];
        return ssl;
    }
}
