using NpgsqlTypes;
using PgHa.Client.Resilience.Internal;
using Xunit;

namespace PgHa.Client.Tests;

public sealed class ConsistencyTokenTests
{
    [Fact]
    public void A_token_survives_a_round_trip_through_text()
    {
        var token = new PgHaConsistencyToken(NpgsqlLogSequenceNumber.Parse("1A/16B3748"));

        Assert.Equal("1A/16B3748", token.ToString());
        Assert.Equal(token, PgHaConsistencyToken.Parse(token.ToString()));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("banana")]
    [InlineData("0/")]
    [InlineData("FFFFFFFFF/0")]
    [InlineData("0/16B3748; DROP TABLE x")]
    public void Untrusted_text_that_is_not_a_token_is_refused(string? text)
    {
        Assert.False(PgHaConsistencyToken.TryParse(text, out var token));
        Assert.True(token.IsNone);
        if (text is not null)
            Assert.Throws<FormatException>(() => PgHaConsistencyToken.Parse(text));
    }

    [Fact]
    public void Tokens_order_by_wal_position_and_the_default_asks_for_nothing()
    {
        var early = PgHaConsistencyToken.Parse("0/FFFFFFFF");
        var late = PgHaConsistencyToken.Parse("1/0");

        Assert.True(early < late);
        Assert.Equal(late, PgHaConsistencyToken.Max(early, late));
        Assert.Equal(late, PgHaConsistencyToken.Max(late, early));
        Assert.True(PgHaConsistencyToken.None.IsNone);
        Assert.True(default(PgHaConsistencyToken) < early);
    }

    [Fact]
    public void The_sweep_bound_sorts_between_tokens_made_before_and_after_its_instant()
    {
        // PostgreSQL compares uuids bytewise; Guid.CompareTo does not, so compare the RFC byte order.
        static string Bytes(Guid g) => Convert.ToHexString(g.ToByteArray(bigEndian: true));
        var instant = DateTimeOffset.FromUnixTimeMilliseconds(1_790_000_000_000);
        var bound = CommitMarkers.SmallestTokenAt(instant);

        for (var i = 0; i < 1000; i++)
        {
            Assert.True(string.CompareOrdinal(Bytes(Guid.CreateVersion7(instant.AddMilliseconds(-1))), Bytes(bound)) < 0);
            Assert.True(string.CompareOrdinal(Bytes(Guid.CreateVersion7(instant)), Bytes(bound)) >= 0);
        }

        Assert.Equal(7, bound.Version);
    }
}
