using Npgsql;
using PgHa.Client.Resilience.Internal;
using Xunit;

namespace PgHa.Client.Tests;

/// <summary>The warnings PostgreSQL (syncrep.c) sends when a COMMIT's wait for synchronous standbys is ended early.</summary>
public sealed class SyncReplicationNoticesTests
{
    // A cancel (pg_cancel_backend, statement_timeout) ends the wait and COMMIT answers success after this warning. A
    // terminate sends 57P01 instead and closes the connection: that COMMIT takes the in-doubt path, not this one.
    [Fact]
    public void The_warning_of_a_cancelled_wait_is_recognised()
        => Assert.True(SyncReplicationNotices.IsCancelledWait(
            new PostgresNotice("WARNING", "WARNING", PostgresErrorCodes.Warning, "canceling wait for synchronous replication due to user request")));

    [Theory]
    [InlineData("WARNING", "01000", "a deferred trigger raised this")]
    [InlineData("NOTICE", "00000", "canceling wait for synchronous replication due to user request")]
    public void Other_notices_are_not(string severity, string sqlState, string text)
        => Assert.False(SyncReplicationNotices.IsCancelledWait(new PostgresNotice(severity, severity, sqlState, text)));
}
