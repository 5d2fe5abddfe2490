namespace PgHa.Client.Topology.Internal;

/// <summary>A probe got no answer in time; its connection now belongs to a background clean-up.</summary>
internal sealed class AbandonedProbeException(TimeSpan timeout)
    : TimeoutException($"The probe got no answer within {timeout.TotalMilliseconds:0} ms.");
