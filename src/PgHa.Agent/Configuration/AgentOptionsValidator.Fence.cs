using System.Globalization;

namespace PgHa.Agent.Configuration;

internal static partial class AgentOptionsValidator
{
    static partial void ValidateFence(AgentOptions o, List<string> errors)
    {
        if (o.FenceAcknowledgeTimeout <= TimeSpan.Zero)
            errors.Add($"FenceAcknowledgeTimeout must be positive (was {o.FenceAcknowledgeTimeout}).");
        var budget = o.Ttl - Ha.HaExecutor.FenceMargin;
        if (o.RetryTimeout + o.FenceAcknowledgeTimeout > budget)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture,
                $"RetryTimeout + FenceAcknowledgeTimeout ({(o.RetryTimeout + o.FenceAcknowledgeTimeout).TotalSeconds:0.##} s) must not exceed Ttl − {Ha.HaExecutor.FenceMargin.TotalSeconds:0.#} s ({budget.TotalSeconds:0.##} s): a lease renewal and the watchdog's acknowledgement must both finish before the fence's deadline."));
        }
    }
}
