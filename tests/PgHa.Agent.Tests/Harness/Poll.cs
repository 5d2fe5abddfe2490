namespace PgHa.Agent.Tests.Harness;

internal static class Poll
{
    /// <summary>Polls until true; fails with the agents' logs after <paramref name="timeout"/> (default 30 s).</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, AgentCluster cluster, TimeSpan? timeout = null, string what = "a condition")
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        Exception? last = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if (await condition())
                    return;
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or InvalidOperationException or HttpRequestException)
            {
                last = ex;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"Timed out waiting for {what}. Last error: {last?.Message}\n{cluster.Logs()}");
    }
}
