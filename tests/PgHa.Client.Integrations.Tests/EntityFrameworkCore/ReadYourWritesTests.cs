using Microsoft.EntityFrameworkCore;
using Xunit;

namespace PgHa.Client.Integrations.Tests.EntityFrameworkCore;

/// <summary>With a session, scope reads see the session's own writes even when every replica is behind.</summary>
public sealed class ReadYourWritesTests : EfClusterTestBase
{
    [Fact]
    public async Task With_a_session_a_scope_read_sees_the_saved_row_though_no_replica_has_it_yet()
    {
        var text = EfTest.UniqueText("ryw");
        var session = DataSource.CreateSession();
        await Node2.PauseReplayAsync();
        await Node3.PauseReplayAsync();
        await using var db = new OrdersContext(EfTest.Options(DataSource, session));
        var tokenBefore = session.ConsistencyToken;

        db.Orders.Add(new Order { Text = text });
        await db.SaveChangesAsync();

        Assert.True(session.ConsistencyToken.Position > tokenBefore.Position, "the commit did not move the session's token");
        using (db.ReadFromReplica())
            Assert.True(await db.Orders.AnyAsync(o => o.Text == text)); // read on the primary: no replica has it
        await using var sessionless = NewContext();
        using (sessionless.ReadFromReplica())
        {
            Assert.False(await sessionless.Orders.AnyAsync(o => o.Text == text)); // replicas are behind: the session is what made the difference
            Assert.Contains(await EfTest.ServerPortAsync(sessionless), new[] { Node2.Port, Node3.Port });
        }
    }
}
