using PgHa.Client.DependencyInjection;
using Xunit;

namespace PgHa.Client.Integrations.Tests.DependencyInjection;

public sealed class DurationTextTests
{
    [Theory]
    [InlineData("00:00:02", 2000)]
    [InlineData("2s", 2000)]
    [InlineData(" 1.5 s ", 1500)]
    [InlineData("250ms", 250)]
    [InlineData("250MS", 250)]
    [InlineData("1m", 60_000)]
    [InlineData("0.5h", 1_800_000)]
    [InlineData("0s", 0)]
    [InlineData("-1s", -1000)]
    public void Reads_timespans_and_numbers_with_a_unit(string text, double milliseconds)
    {
        Assert.True(DurationText.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("2")]
    [InlineData("2 seconds")]
    [InlineData("s")]
    [InlineData("1e400s")]
    [InlineData("2sec")]
    [InlineData(null)]
    public void Refuses_anything_else(string? text) => Assert.False(DurationText.TryParse(text, out _));
}
