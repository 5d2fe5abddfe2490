using System.Security.Cryptography;
using System.Text;
using PgHa.Agent.Configuration;

namespace PgHa.Agent.Rest;

/// <summary>
/// Who may change the cluster: <c>Authorization: Bearer &lt;RestToken&gt;</c> or HTTP Basic with
/// <c>RestUsername</c>/<c>RestPassword</c> (what patronictl sends). Secrets are compared in constant time, over their
/// hashes so that not even their lengths leak.
/// </summary>
internal static class RestAuth
{
    /// <summary>A token or a Basic user is configured, so changing requests must carry one.</summary>
    public static bool IsRequired(AgentOptions options) => !string.IsNullOrEmpty(options.RestToken) || !string.IsNullOrEmpty(options.RestUsername);

    /// <summary>The <c>WWW-Authenticate</c> challenges a 401 carries: one per configured scheme.</summary>
    public static string[] Challenges(AgentOptions options)
    {
        var challenges = new List<string>();
        if (!string.IsNullOrEmpty(options.RestUsername))
            challenges.Add("Basic realm=\"pgha-agent\"");
        if (!string.IsNullOrEmpty(options.RestToken))
            challenges.Add("Bearer realm=\"pgha-agent\"");
        return challenges.ToArray();
    }

    /// <summary>The <c>Authorization</c> header proves one of the configured credentials.</summary>
    public static bool Accepts(AgentOptions options, string? header)
    {
        if (string.IsNullOrEmpty(header))
            return false;
        var space = header.IndexOf(' ', StringComparison.Ordinal);
        if (space <= 0)
            return false;
        var scheme = header[..space];
        var value = header[(space + 1)..].Trim();
        if (scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase) && options.RestToken is { Length: > 0 } token)
            return Same(value, token);
        if (scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase) && options.RestUsername is { Length: > 0 } user)
            return Decode(value) is { } pair && Same(pair, user + ":" + options.RestPassword);
        return false;
    }

    /// <summary>The Basic credentials <c>user:password</c> for a client (ctl) to send.</summary>
    public static string Basic(string user, string? password) => Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password));

    private static string? Decode(string base64)
    {
        var bytes = new byte[base64.Length];
        return Convert.TryFromBase64String(base64, bytes, out var length) ? Encoding.UTF8.GetString(bytes, 0, length) : null;
    }

    private static bool Same(string given, string expected)
        => CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
}
