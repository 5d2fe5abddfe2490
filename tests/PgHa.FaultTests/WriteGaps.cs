namespace PgHa.FaultTests;

/// <summary>One write of one writer (an item writer or the heartbeat) as the gap measures see it.</summary>
internal readonly record struct WriteAttempt(string Writer, long Started, long Ended, bool Acknowledged);

/// <summary>One writer's wait for an acknowledgement (see <see cref="WriteGaps.Waits"/>).</summary>
internal readonly record struct WriterWait(string Writer, Stretch Wait);

/// <summary>
/// Where the application went without acknowledged writes. Every <c>ExecuteWriteAsync</c> counts: the item writers'
/// and the heartbeat's. The observation ends when the last write does, so a gap nothing closed runs to there.
/// </summary>
internal static class WriteGaps
{
    public static List<WriteAttempt> Attempts(History history) =>
    [
        .. history.Writes.Select(w => new WriteAttempt($"writer {w.Writer}", w.Started, w.Ended, w.Outcome == Outcome.Ok)),
        .. history.Ticks.Select(t => new WriteAttempt("heartbeat", t.Started, t.Ended, t.Outcome == Outcome.Ok)),
    ];

    /// <summary>The stretches between consecutive acknowledgements, whichever writer they came from.</summary>
    public static List<Stretch> BetweenAcknowledgements(IReadOnlyCollection<WriteAttempt> attempts)
    {
        var acknowledged = attempts.Where(a => a.Acknowledged).Select(a => a.Ended).Order().ToList();
        var gaps = acknowledged.Zip(acknowledged.Skip(1), (a, b) => new Stretch(a, b)).ToList();
        var until = ObservedUntil(attempts);
        if (acknowledged.Count > 0 && until > acknowledged[^1])
            gaps.Add(new Stretch(acknowledged[^1], until));
        return gaps;
    }

    /// <summary>
    /// Per writer, each wait for an acknowledgement: from its first attempt after the previous acknowledgement to the
    /// next one, failed attempts and retries included. What a writer does between its writes (a session writer reads
    /// its write back, the heartbeat sleeps 100 ms) is not a wait for a write, and is left out.
    /// </summary>
    public static List<WriterWait> Waits(IReadOnlyCollection<WriteAttempt> attempts)
    {
        var until = ObservedUntil(attempts);
        var waits = new List<WriterWait>();
        foreach (var writer in attempts.GroupBy(a => a.Writer))
        {
            long? waitingSince = null;
            var lastEnded = 0L;
            foreach (var attempt in writer.OrderBy(a => a.Started))
            {
                waitingSince ??= attempt.Started;
                lastEnded = attempt.Ended;
                if (!attempt.Acknowledged)
                    continue;
                waits.Add(new WriterWait(writer.Key, new Stretch(waitingSince.Value, attempt.Ended)));
                waitingSince = null;
            }

            if (waitingSince is { } open)
                waits.Add(new WriterWait(writer.Key, new Stretch(open, Math.Max(lastEnded, until))));
        }

        return waits;
    }

    private static long ObservedUntil(IReadOnlyCollection<WriteAttempt> attempts) => attempts.Count == 0 ? 0 : attempts.Max(a => a.Ended);
}
