using System.Diagnostics;

namespace PgHa.Testing.Internal;

/// <summary>Repeats a check until it holds or a deadline passes.</summary>
internal static class Poll
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(50);

    /// <summary>Waits until <paramref name="condition"/> returns <see langword="true"/>; failures of the check count as "not yet".</summary>
    public static async Task UntilAsync(
        Func<CancellationToken, Task<bool>> condition,
        TimeSpan timeout,
        Func<string> describe,
        CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        Exception? lastError = null;
        while (true)
        {
            var remaining = timeout - Stopwatch.GetElapsedTime(started);
            if (remaining > TimeSpan.Zero)
            {
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(ct);
                attempt.CancelAfter(remaining);
                try
                {
                    if (await condition(attempt.Token))
                        return;
                }
                catch (Exception e) when (!ct.IsCancellationRequested)
                {
                    lastError = e;
                }
            }

            if (Stopwatch.GetElapsedTime(started) >= timeout)
            {
                var detail = lastError is null ? "" : $" Last error: {lastError.Message}";
                throw new PgHarnessException(
                    $"Timed out after {timeout.TotalSeconds:0.#} s waiting for {describe()}.{detail}", lastError);
            }

            await Task.Delay(Interval, ct);
        }
    }
}
