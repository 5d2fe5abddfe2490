using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PgHa.Agent.Tests.Harness;
using Xunit;

namespace PgHa.Agent.Tests;

/// <summary>The REST API over HTTPS with client certificates required, with certificates made by the test (a CA, a server and a client certificate).</summary>
public sealed class AgentRestTlsTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("pgha-tls-");

    [Fact]
    public async Task With_client_certificates_required_only_a_client_with_a_ca_signed_certificate_gets_in_and_ctl_works_over_https()
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=pgha test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var caFile = Write("ca.pem", ca.ExportCertificatePem());
        var (serverCert, serverKey) = Issue(ca, caKey, "server", "1.3.6.1.5.5.7.3.1");
        var (clientCert, clientKey) = Issue(ca, caKey, "client", "1.3.6.1.5.5.7.3.2");
        var (strangerCert, strangerKey) = SelfSigned("stranger");

        await using var cluster = await AgentCluster.StartAsync(nodes: 1, settings: new Dictionary<string, string>
        {
            ["RestCertFile"] = serverCert,
            ["RestKeyFile"] = serverKey,
            ["RestCaFile"] = caFile,
            ["RestVerifyClient"] = "required",
        });
        var node = await cluster.WaitForHealthyAsync();
        var url = new Uri($"https://127.0.0.1:{node.RestPort.ToString(CultureInfo.InvariantCulture)}/patroni");
        Assert.Equal(url.ToString(), (await cluster.Dcs.LoadAsync(default)).Members[node.Name].ApiUrl);

        using (var trusted = Client(ca, clientCert, clientKey))
        {
            using var response = await trusted.GetAsync(url);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains("\"role\":\"primary\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var anonymous = Client(ca, null, null))
            await Assert.ThrowsAnyAsync<HttpRequestException>(() => anonymous.GetAsync(url));
        using (var stranger = Client(ca, strangerCert, strangerKey))
            await Assert.ThrowsAnyAsync<HttpRequestException>(() => stranger.GetAsync(url));
        using (var plain = new HttpClient())
            await Assert.ThrowsAnyAsync<HttpRequestException>(() => plain.GetAsync(new Uri($"http://127.0.0.1:{node.RestPort.ToString(CultureInfo.InvariantCulture)}/patroni")));

        // ctl posts to the leader's published https api_url, trusting the test CA and presenting its client certificate:
        // Patroni's 412 (nothing to switch over to with one member) is the server's answer, so TLS worked both ways.
        var (exitCode, output) = await cluster.CtlAsync("switchover", $"--PgHa:Agent:RestCaFile={caFile}", $"--PgHa:Agent:RestClientCertFile={clientCert}", $"--PgHa:Agent:RestClientKeyFile={clientKey}");
        Assert.True(exitCode == 1 && output.Contains("Error (412)", StringComparison.Ordinal) && output.Contains("does not have members except leader", StringComparison.Ordinal), output);
    }

    public void Dispose() => _directory.Delete(recursive: true);

    private static HttpClient Client(X509Certificate2 ca, string? certFile, string? keyFile)
    {
        var handler = new SocketsHttpHandler();
        handler.SslOptions.CertificateChainPolicy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        handler.SslOptions.CertificateChainPolicy.CustomTrustStore.Add(ca);
        if (certFile is not null)
            handler.SslOptions.ClientCertificates = [X509Certificate2.CreateFromPemFile(certFile, keyFile)];
        return new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
    }

    private (string Cert, string Key) Issue(X509Certificate2 ca, ECDsa caKey, string name, string usage)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usage)], false));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        using var certificate = request.Create(ca.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey), DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(12), RandomNumberGenerator.GetBytes(8));
        return (Write(name + ".pem", certificate.ExportCertificatePem()), Write(name + ".key", key.ExportPkcs8PrivateKeyPem()));
    }

    private (string Cert, string Key) SelfSigned(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(12));
        return (Write(name + ".pem", certificate.ExportCertificatePem()), Write(name + ".key", key.ExportPkcs8PrivateKeyPem()));
    }

    private string Write(string name, string pem)
    {
        var path = Path.Combine(_directory.FullName, name);
        File.WriteAllText(path, pem);
        if (OperatingSystem.IsLinux())
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }
}
