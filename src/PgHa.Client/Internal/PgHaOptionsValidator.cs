using System.Text.RegularExpressions;

namespace PgHa.Client.Internal;

/// <summary>Checks every option once, at build, and reports all problems in one message.</summary>
internal static partial class PgHaOptionsValidator
{
    // Plain identifiers only: the name is spliced into SQL, so nothing that needs quoting is accepted.
    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}\\.[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex CommitMarkerTableName { get; }

    public static IReadOnlyList<string> Validate(PgHaOptions o)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(o.ClusterName))
            errors.Add("ClusterName must not be empty.");
        Positive(errors, nameof(o.ProbeInterval), o.ProbeInterval);
        Positive(errors, nameof(o.ProbeTimeout), o.ProbeTimeout);
        Positive(errors, nameof(o.FailoverProbeInterval), o.FailoverProbeInterval);
        if (o.FailoverProbeInterval > o.ProbeInterval)
            errors.Add($"FailoverProbeInterval ({o.FailoverProbeInterval}) must not be longer than ProbeInterval ({o.ProbeInterval}).");
        if (o.MaxReplicaLag < TimeSpan.Zero)
            errors.Add($"MaxReplicaLag must not be negative (was {o.MaxReplicaLag}).");
        if (o.MaxReplicaLagBytes < 0)
            errors.Add($"MaxReplicaLagBytes must not be negative (was {o.MaxReplicaLagBytes}).");
        if (o.LatencyWindow < TimeSpan.Zero)
            errors.Add($"LatencyWindow must not be negative (was {o.LatencyWindow}).");
        if (o.NodeWaitTimeout < TimeSpan.Zero)
            errors.Add($"NodeWaitTimeout must not be negative (was {o.NodeWaitTimeout}).");
        if (o.RetryBudget < TimeSpan.Zero)
            errors.Add($"RetryBudget must not be negative (was {o.RetryBudget}).");
        if (o.FailedProbesBeforeDown < 1)
            errors.Add($"FailedProbesBeforeDown must be at least 1 (was {o.FailedProbesBeforeDown}).");
        if (o.ReadYourWritesWait < TimeSpan.Zero)
            errors.Add($"ReadYourWritesWait must not be negative (was {o.ReadYourWritesWait}).");
        if (!CommitMarkerTableName.IsMatch(o.CommitMarkerTable ?? ""))
            errors.Add($"CommitMarkerTable must be a lower-case schema.table name such as \"pgha.commit_markers\" (was \"{o.CommitMarkerTable}\").");
        if (o.CommitMarkerRetention < o.RetryBudget * 2)
            errors.Add($"CommitMarkerRetention ({o.CommitMarkerRetention}) must be at least twice RetryBudget ({o.RetryBudget}): a marker must outlive every resolution.");
        if (!Enum.IsDefined(o.ReplicaFallback))
            errors.Add($"ReplicaFallback has no value {(int)o.ReplicaFallback}.");
        if (!Enum.IsDefined(o.LoadBalancing))
            errors.Add($"LoadBalancing has no value {(int)o.LoadBalancing}.");
        return errors;
    }

    private static void Positive(List<string> errors, string name, TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
            errors.Add($"{name} must be positive (was {value}).");
    }
}
