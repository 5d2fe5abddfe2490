namespace PgHa.Agent.Ha;

/// <summary>One DCS or PostgreSQL call within <c>RetryTimeout</c>: past it the call is cancelled and the caller decides what a timeout means.</summary>
internal static class Bounded
{
    public static async Task<T> RunAsync<T>(TimeSpan limit, Func<CancellationToken, Task<T>> call, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(limit);
        return await call(timeout.Token).ConfigureAwait(false);
    }

    public static Task RunAsync(TimeSpan limit, Func<CancellationToken, Task> call, CancellationToken ct)
        => RunAsync(limit, async c => { await call(c).ConfigureAwait(false); return 0; }, ct);
}
