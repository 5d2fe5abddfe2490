namespace PgHa.Client.Resilience.Internal;

/// <summary>
/// Races a call that must never be cancelled (a COMMIT, a commit-marker lookup) against a deadline and the
/// caller's token. If the call loses, it is left to finish in the background and its resources are released then.
/// </summary>
internal static class AbandonableCall
{
    /// <param name="call">The call; never cancelled.</param>
    /// <param name="limit">How long to wait for it; <see cref="Timeout.InfiniteTimeSpan"/> for no limit.</param>
    /// <param name="time">The clock of <paramref name="limit"/>.</param>
    /// <param name="cancellationToken">Stops the wait (not the call).</param>
    /// <param name="release">Run once an abandoned call has ended.</param>
    /// <returns><see langword="true"/> if <paramref name="call"/> finished in time (it may have failed: await it).</returns>
    public static async Task<bool> FinishesWithinAsync(Task call, TimeSpan limit, TimeProvider time, CancellationToken cancellationToken, Func<ValueTask> release)
    {
        try
        {
            // WaitAsync only stops waiting: the call itself is never cancelled.
            await call.WaitAsync(limit == Timeout.InfiniteTimeSpan || limit > TimeSpan.Zero ? limit : TimeSpan.Zero, time, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception) when (call.IsCompleted)
        {
            return true; // the call finished (and failed) in time: the caller awaits it for the error
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            _ = ReleaseWhenDoneAsync(call, release);
            return false;
        }
    }

    private static async Task ReleaseWhenDoneAsync(Task call, Func<ValueTask> release)
    {
        try
        {
            await call.ConfigureAwait(false);
        }
#pragma warning disable CA1031 // The caller was already told the outcome is unknown; how the abandoned call ends changes nothing.
        catch (Exception)
#pragma warning restore CA1031
        {
        }

        await release().ConfigureAwait(false);
    }
}
