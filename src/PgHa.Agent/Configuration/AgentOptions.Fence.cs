namespace PgHa.Agent.Configuration;

internal sealed partial class AgentOptions
{
    /// <summary>
    /// How long the agent waits for the watchdog process to acknowledge an arm or disarm. A watchdog that does not
    /// answer in time is taken for hung and replaced, and the member does not lead on it (Patroni's
    /// <c>watchdog.mode: required</c> refuses leadership the same way when <c>/dev/watchdog</c> cannot be armed; Patroni
    /// has no such timeout because a device write does not hang). Must fit with <see cref="RetryTimeout"/> in
    /// <c>Ttl − 0.5 s</c>: a renewal and its arm both finish before the fence's deadline.
    /// </summary>
    /// <value>Default: 2 s.</value>
    public TimeSpan FenceAcknowledgeTimeout { get; set; } = TimeSpan.FromSeconds(2);
}
