using System.Collections.Concurrent;
using PgHa.Client.Resilience;
using Xunit;
using static PgHa.Client.IntegrationTests.ClusterHelpers;

namespace PgHa.Client.IntegrationTests;

/// <summary>
/// A minute of light load against a primary that closes every session idle for a second. It spends that minute mostly
/// waiting, so it runs beside the other tests (<see cref="BesideTheOthers"/>) rather than adding a minute to the suite.
/// </summary>
[Collection(BesideTheOthers.Name)]
public sealed class IdleSessionTimeoutTests : WriteTestBase
{
    [Fact]
    public async Task With_a_one_second_idle_session_timeout_on_the_primary_a_minute_of_light_load_sees_no_failover_and_no_error()
    {
        // On node1 only (auto.conf is not replicated).
        await Node1.ExecuteAsync("ALTER SYSTEM SET idle_session_timeout = '1s'");
        await Node1.ExecuteAsync("SELECT pg_reload_conf()");
        await WaitUntilAsync(async () => await Node1.ExecuteScalarAsync<string>("SELECT current_setting('idle_session_timeout')") == "1s",
            TimeSpan.FromSeconds(10), "the reload takes effect");
        // A generous probe timeout: one probe slowed past 1 s by a loaded machine makes the primary suspect (no new
        // writes until it answers again), which is not what this test is about.
        var ds = DataSource(o => o.ProbeTimeout = TimeSpan.FromSeconds(3));
        await WaitForDiscoveryAsync(ds);
        await Node1.ExecuteAsync("CREATE TABLE ids(id int PRIMARY KEY)");
        var noPrimary = CountSnapshotsWithoutPrimary(ds);
        var errors = new ConcurrentQueue<Exception>();
        var operations = 0;
        var next = 0;
        var until = DateTime.UtcNow.AddMinutes(1);

        // Light load: each worker pauses 0.8–2.5 s between operations, so pooled connections sit idle past the timeout.
        await Task.WhenAll(Enumerable.Range(0, 4).Select(worker => Task.Run(async () =>
        {
            var random = new Random(worker);
            while (DateTime.UtcNow < until)
            {
                try
                {
                    await OneOperationAsync(ds, Interlocked.Increment(ref next));
                    Interlocked.Increment(ref operations);
                }
                catch (Exception ex)
                {
                    errors.Enqueue(ex);
                }

                await Task.Delay(random.Next(800, 2500));
            }
        })));

        Assert.True(errors.IsEmpty, string.Join("\n", errors.Select(e => e.ToString())));
        Assert.True(noPrimary.IsEmpty, string.Join("\n", noPrimary.Select(e => e.Current.ToString())));
        Assert.True(operations > 0);
        // The test proves something only if the server did close idle sessions under it.
        var closed = (await File.ReadAllTextAsync(Node1.LogFile)).Split("idle-session timeout").Length - 1;
        Assert.True(closed > 0, "the server closed no idle session");
    }

    /// <summary>A write, a read on the primary, or a plain open and query, in turn.</summary>
    private static async Task OneOperationAsync(PgHaDataSource ds, int n)
    {
        switch (n % 3)
        {
            case 0:
                await ds.ExecuteWriteAsync((c, t, ct) => InsertAsync(c, t, n, ct));
                break;
            case 1:
                await ds.ExecuteReadAsync((c, ct) => ServerPortAsync(c), new UnitOfWorkOptions { ReadRole = TargetRole.Primary });
                break;
            default:
                await using (var connection = await ds.OpenConnectionAsync())
                    await ServerPortAsync(connection);
                break;
        }
    }

}
