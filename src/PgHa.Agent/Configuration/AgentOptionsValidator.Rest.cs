using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PgHa.Agent.Rest;

namespace PgHa.Agent.Configuration;

/// <summary>The REST API's security settings: pairs that go together, networks that parse, PEM files that load.</summary>
internal static partial class AgentOptionsValidator
{
    private static readonly string[] VerifyClientModes = ["none", "optional", "required"];

    static partial void ValidateRest(AgentOptions o, List<string> errors)
    {
        if (string.IsNullOrEmpty(o.RestUsername) != string.IsNullOrEmpty(o.RestPassword))
            errors.Add("RestUsername and RestPassword go together.");
        foreach (var entry in o.RestAllowlist.Where(e => !RestAllowlist.TryParse(e, out _)))
            errors.Add($"RestAllowlist: '{entry}' is not an IP address or a CIDR network such as 10.0.0.0/8; host names are not accepted.");
        if (string.IsNullOrEmpty(o.RestCertFile) != string.IsNullOrEmpty(o.RestKeyFile))
            errors.Add("RestCertFile and RestKeyFile go together.");
        else if (o.RestUsesTls())
            PemPair(errors, "RestCertFile", o.RestCertFile!, o.RestKeyFile!);
        if (!VerifyClientModes.Contains(o.RestVerifyClient, StringComparer.Ordinal))
            errors.Add($"RestVerifyClient must be none, optional or required (was '{o.RestVerifyClient}').");
        else if (o.RestVerifyClient != "none" && (!o.RestUsesTls() || string.IsNullOrEmpty(o.RestCaFile)))
            errors.Add($"RestVerifyClient {o.RestVerifyClient} needs RestCertFile, RestKeyFile and RestCaFile (the CA client certificates are checked against).");
        if (!string.IsNullOrEmpty(o.RestCaFile))
        {
            try
            {
                if (RestTls.LoadCa(o.RestCaFile).Count == 0)
                    errors.Add($"RestCaFile '{o.RestCaFile}' holds no PEM certificate.");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
            {
                errors.Add($"RestCaFile '{o.RestCaFile}' cannot be read: {ex.Message}");
            }
        }

        if (string.IsNullOrEmpty(o.RestClientCertFile) != string.IsNullOrEmpty(o.RestClientKeyFile))
            errors.Add("RestClientCertFile and RestClientKeyFile go together.");
        else if (!string.IsNullOrEmpty(o.RestClientCertFile))
            PemPair(errors, "RestClientCertFile", o.RestClientCertFile, o.RestClientKeyFile!);
    }

    private static void PemPair(List<string> errors, string name, string certFile, string keyFile)
    {
        try
        {
            using var certificate = X509Certificate2.CreateFromPemFile(certFile, keyFile);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            errors.Add($"{name} '{certFile}' with its key '{keyFile}' cannot be loaded: {ex.Message}");
        }
    }
}
