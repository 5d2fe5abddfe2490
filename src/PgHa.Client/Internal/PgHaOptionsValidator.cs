namespace PgHa.Client.Internal;

/// <summary>Checks every option once, at build, and reports all problems in one message.</summary>
internal static class PgHaOptionsValidator
{
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
