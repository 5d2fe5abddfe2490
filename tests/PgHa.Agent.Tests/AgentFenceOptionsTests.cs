using PgHa.Agent.Configuration;
using Xunit;

namespace PgHa.Agent.Tests;

public sealed class AgentFenceOptionsTests
{
    [Fact]
    public void The_default_acknowledge_timeout_fits_the_default_lease()
    {
        var options = Valid();

        Assert.Equal(TimeSpan.FromSeconds(2), options.FenceAcknowledgeTimeout);
        Assert.Empty(AgentOptionsValidator.Validate(options));
    }

    [Theory]
    [InlineData(2.5)]
    [InlineData(5)]
    public void A_renewal_and_an_acknowledgement_must_fit_before_the_fence_fires(double seconds)
    {
        var options = Valid();
        options.FenceAcknowledgeTimeout = TimeSpan.FromSeconds(seconds);

        Assert.Contains(AgentOptionsValidator.Validate(options), e => e.StartsWith("RetryTimeout + FenceAcknowledgeTimeout", StringComparison.Ordinal));
    }

    [Fact]
    public void A_longer_lease_leaves_room_for_a_longer_acknowledgement()
    {
        var options = Valid();
        options.Ttl = TimeSpan.FromSeconds(10);
        options.FenceAcknowledgeTimeout = TimeSpan.FromSeconds(5);

        Assert.Empty(AgentOptionsValidator.Validate(options));
    }

    [Fact]
    public void The_acknowledge_timeout_must_be_positive()
    {
        var options = Valid();
        options.FenceAcknowledgeTimeout = TimeSpan.Zero;

        Assert.Contains(AgentOptionsValidator.Validate(options), e => e.StartsWith("FenceAcknowledgeTimeout must be positive", StringComparison.Ordinal));
    }

    private static AgentOptions Valid() => new()
    {
        Name = "node1",
        Scope = "demo",
        DataDirectory = "/var/lib/postgresql/15/demo",
        EtcdEndpoints = ["http://127.0.0.1:2379"],
    };
}
