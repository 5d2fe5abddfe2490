namespace PgHa.Client.Resilience.Internal;

/// <summary>
/// Races a call that must never be cancelled (a COMMIT, a commit-marker lookup) against a deadline and the
/// caller's token. If the call loses, it is left to finish in the background and its resources are released then.
/// </summary>
internal static class AbandonableCall
{
    /// <returns><see langword="true"/> if <paramref name="call"/> finished in time (it may have failed: await it).</returns>
    public static async Task<bool> FinishesWithinAsync(Task call, TimeSpan limit, TimeProvider time, CancellationToken cancellationToken, Func<ValueTask> release)
    {
        using (var stopTimer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            var timer = Task.Delay(limit > TimeSpan.Zero ? limit : TimeSpan.Zero, time, stopTimer.Token);
            if (await Task.WhenAny(call, timer).ConfigureAwait(false) == call)
            {
                await stopTimer.CancelAsync().ConfigureAwait(false);
                return true;
            }
        }

        _ = ReleaseWhenDoneAsync(call, release);
        return false;
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
