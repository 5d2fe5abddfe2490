using System.Net;

namespace PgHa.Agent.Configuration;

/// <summary>Checks every setting at start and reports all problems in one message.</summary>
internal static partial class AgentOptionsValidator
{
    public static IReadOnlyList<string> Validate(AgentOptions o)
    {
        var errors = new List<string>();
        Required(errors, "Name", o.Name);
        Required(errors, "Scope", o.Scope);
        Required(errors, "DataDirectory", o.DataDirectory);
        Required(errors, "BinDirectory", o.BinDirectory);
        if (o.Name.Contains('/', StringComparison.Ordinal) || o.Scope.Contains('/', StringComparison.Ordinal))
            errors.Add("Name and Scope must not contain '/'.");
        Address(errors, "Listen", o.Listen);
        if (o.ConnectAddress is not null)
            Address(errors, "ConnectAddress", o.ConnectAddress);
        Address(errors, "RestListen", o.RestListen);
        if (o.RestConnectAddress is not null)
            Address(errors, "RestConnectAddress", o.RestConnectAddress);
        if (o.PrimaryStartTimeout <= TimeSpan.Zero)
            errors.Add($"PrimaryStartTimeout must be positive (was {o.PrimaryStartTimeout}).");
        if (TryParseAddress(o.RestListen, out var restHost, out _) && restHost != "localhost" && !IPAddress.TryParse(restHost, out _))
            errors.Add($"RestListen must name an IP address or localhost (was '{o.RestListen}'); 0.0.0.0 listens on every interface.");
        if (string.IsNullOrEmpty(o.RestToken) && string.IsNullOrEmpty(o.RestUsername) && TryParseAddress(o.RestListen, out var host, out _) && !IsLoopback(host))
            errors.Add($"RestToken is required (or RestUsername and RestPassword) when the REST API listens beyond loopback (RestListen {o.RestListen}): its POST endpoints fail over the cluster.");
        foreach (var line in o.PgHba.Where(l => string.IsNullOrWhiteSpace(l) || l.Contains('\n', StringComparison.Ordinal) || l.Contains('\r', StringComparison.Ordinal)))
            errors.Add($"PgHba: each entry must be one non-empty pg_hba.conf line (was '{line}').");
        if (o.EtcdEndpoints.Count == 0)
            errors.Add("EtcdEndpoints must list at least one etcd client URL.");
        foreach (var endpoint in o.EtcdEndpoints)
        {
            if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                errors.Add($"EtcdEndpoints: '{endpoint}' is not an http:// or https:// URL.");
        }

        if ((o.EtcdUsername is null) != (o.EtcdPassword is null))
            errors.Add("EtcdUsername and EtcdPassword go together.");
        if (o.Ttl < TimeSpan.FromSeconds(2) || o.Ttl.Ticks % TimeSpan.TicksPerSecond != 0)
            errors.Add($"Ttl must be a whole number of seconds, at least 2 (was {o.Ttl}): etcd leases count whole seconds.");
        if (o.LoopWait <= TimeSpan.Zero)
            errors.Add($"LoopWait must be positive (was {o.LoopWait}).");
        if (o.RetryTimeout <= TimeSpan.Zero)
            errors.Add($"RetryTimeout must be positive (was {o.RetryTimeout}).");
        if (o.LoopWait + 2 * o.RetryTimeout > o.Ttl)
            errors.Add($"LoopWait + 2 × RetryTimeout ({(o.LoopWait + 2 * o.RetryTimeout).TotalSeconds:0.##} s) must not exceed Ttl ({o.Ttl.TotalSeconds:0.##} s): a leader that cannot renew must find out before its lease can expire.");
        if (o.MaximumLagOnFailover < 0)
            errors.Add($"MaximumLagOnFailover must not be negative (was {o.MaximumLagOnFailover}).");
        if (o.SynchronousModeStrict && !o.SynchronousMode)
            errors.Add("SynchronousModeStrict needs SynchronousMode.");
        ValidateSecurity(o, errors);
        ValidateRest(o, errors);
        ValidateLease(o, errors);
        ValidateFence(o, errors);
        ValidateFailover(o, errors);
        return errors;
    }

    private static void Required(List<string> errors, string name, string value)
    {
        if (string.IsNullOrWhiteSpace(value))
            errors.Add($"{name} is required.");
    }

    private static void Address(List<string> errors, string name, string value)
    {
        if (!TryParseAddress(value, out _, out _))
            errors.Add($"{name} must be host:port with a port from 1 to 65535 (was '{value}').");
    }

    internal static bool TryParseAddress(string value, out string host, out int port)
    {
        host = "";
        port = 0;
        var colon = value.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(value.AsSpan(colon + 1), System.Globalization.CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
            return false;
        host = value[..colon].Trim('[', ']');
        return host.Length > 0;
    }

    private static bool IsLoopback(string host)
        => host == "localhost" || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));

    // Each area's checks live next to its options (AgentOptions.*.cs, AgentOptionsValidator.*.cs).
    static partial void ValidateSecurity(AgentOptions o, List<string> errors);

    static partial void ValidateRest(AgentOptions o, List<string> errors);

    static partial void ValidateLease(AgentOptions o, List<string> errors);

    static partial void ValidateFence(AgentOptions o, List<string> errors);

    static partial void ValidateFailover(AgentOptions o, List<string> errors);
}
