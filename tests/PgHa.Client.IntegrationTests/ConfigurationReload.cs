using System.Diagnostics;
using Npgsql;
using PgHa.Testing;
using Xunit;

namespace PgHa.Client.IntegrationTests;

/// <summary>Waits until a configuration change (ALTER SYSTEM, then a reload) has reached a data source's pooled connections (shared with the EF Core tests).</summary>
internal static class ConfigurationReload
{
    /// <summary>
    /// Reloads <paramref name="primary"/>'s configuration and returns once <paramref name="applied"/> (a boolean SQL
    /// expression) holds on a new backend and on the connection <paramref name="dataSource"/> hands out for the primary.
    /// </summary>
    public static async Task ApplyAsync(PgNode primary, PgHaDataSource dataSource, string applied)
    {
        await primary.ExecuteAsync("SELECT pg_reload_conf()");
        // pg_reload_conf() only signals the postmaster. Once a new backend sees the setting, the postmaster has
        // reloaded and signalled every backend, so the pooled ones apply it before their next command.
        var clock = Stopwatch.StartNew();
        while (!await primary.ExecuteScalarAsync<bool>($"SELECT {applied}"))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"the configuration reload did not take effect ({applied})");
            await Task.Delay(10);
        }

        // And through the data source's own pooled connections (the ones the work will use): an idle backend applies
        // a reload only between messages, so make sure the connection the pool hands out next already has.
        while (!await PooledConnectionSeesAsync(dataSource, applied))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"the pooled connections did not pick up the configuration ({applied})");
            await Task.Delay(10);
        }
    }

    private static async Task<bool> PooledConnectionSeesAsync(PgHaDataSource dataSource, string applied)
    {
        await using var connection = await dataSource.OpenConnectionAsync(TargetRole.Primary);
        await using var command = new NpgsqlCommand($"SELECT {applied}", connection);
        return (bool)(await command.ExecuteScalarAsync())!;
    }
}
