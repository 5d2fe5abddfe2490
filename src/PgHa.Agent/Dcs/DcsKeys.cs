namespace PgHa.Agent.Dcs;

/// <summary>
/// Where a cluster's state lives: <c>/&lt;namespace&gt;/&lt;scope&gt;/</c> with Patroni's key names, so
/// <c>patronictl list</c> and other tools that read Patroni's layout can read ours (docs/design/agent-research.md §3).
/// </summary>
internal sealed class DcsKeys
{
    public DcsKeys(string ns, string scope)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(scope);
        var trimmed = (ns ?? "service").Trim('/');
        Base = trimmed.Length == 0 ? $"/{scope}/" : $"/{trimmed}/{scope}/";
    }

    /// <summary>The prefix of every key, ending with a slash.</summary>
    public string Base { get; }

    /// <summary>The leader's member name; attached to its session lease.</summary>
    public string Leader => Base + "leader";

    /// <summary>The prefix of the member keys.</summary>
    public string Members => Base + "members/";

    /// <summary>The system identifier of the cluster once bootstrapped ("" while the winner of the race runs initdb).</summary>
    public string Initialize => Base + "initialize";

    public string Config => Base + "config";

    public string Failover => Base + "failover";

    public string Sync => Base + "sync";

    public string History => Base + "history";

    public string Status => Base + "status";

    public string Member(string name) => Members + name;
}
