namespace PgHa.Agent.Configuration;

internal sealed partial class AgentOptions
{
    /// <summary>
    /// How long the HA loop's query of the local server's state may run before the server counts as not answering. The
    /// loop waits for it at most <see cref="RetryTimeout"/> and meanwhile goes on with the last state, so a loaded primary
    /// that answers slowly is neither restarted nor demoted. The connection itself must still open within 3 s. Patroni has
    /// no separate setting (its queries are retried within <c>retry_timeout</c>).
    /// </summary>
    /// <value>Default: 30 s. At least 1 s.</value>
    public TimeSpan StateQueryTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
