namespace PgHa.Agent.Configuration;

internal static partial class AgentOptionsValidator
{
    static partial void ValidateLease(AgentOptions o, List<string> errors)
    {
        if (o.StateQueryTimeout < TimeSpan.FromSeconds(1))
            errors.Add($"StateQueryTimeout must be at least 1 s (was {o.StateQueryTimeout}).");
    }
}
