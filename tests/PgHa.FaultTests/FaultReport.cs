using System.Globalization;
using System.Text;
using PgHa.Client;

namespace PgHa.FaultTests;

/// <summary>The run as markdown: profile and seed, the faults, what the clients did, and what the checker found.</summary>
internal static class FaultReport
{
    public static string Write(FaultProfile profile, long started, IReadOnlyList<InjectedFault> faults, History history, CheckResult result)
    {
        var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started);
        var text = new StringBuilder();
        var writes = history.Writes.ToList();
        text.AppendLine(CultureInfo.InvariantCulture, $"# Fault-injection run: {profile.Name} profile, seed {profile.Seed}");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"{DateTime.UtcNow:yyyy-MM-dd}, {Environment.ProcessorCount} cores; {elapsed.TotalMinutes:0.0} min of workload; " +
            $"{(profile.Synchronous ? "synchronous" : "asynchronous")} replication; agent default timings (ttl 4 s, loop_wait 1 s); client MaxReplicaLag {FaultProfile.MaxReplicaLag.TotalSeconds:0} s, " +
            $"RetryBudget {profile.RetryBudget.TotalSeconds:0} s{(profile.EveryKindOnce ? $" (lowered from the default {PgHaDefaults.RetryBudget.TotalSeconds:0} s to keep CI short, still above the ~7.5 s without a primary that a 9 s etcd pause causes; the freeze is held {profile.FreezePastBudget.TotalSeconds:0} s, past it)" : "")}.");
        var duration = profile.EveryKindOnce ? "" : $" PGHA_FAULT_DURATION={profile.Duration.TotalMinutes:0.#}m";
        text.AppendLine(CultureInfo.InvariantCulture, $"Replay: `PGHA_FAULT_SEED={profile.Seed}{duration}{(profile.Synchronous ? "" : " PGHA_FAULT_REPLICATION=async")} ./fault-test.sh {profile.Name}`");
        text.AppendLine();
        text.AppendLine("## Faults");
        text.AppendLine();
        text.AppendLine("| at | fault | node | held | healthy again after | leader then | note |");
        text.AppendLine("|---:|---|---|---:|---:|---|---|");
        foreach (var f in faults)
            text.AppendLine(CultureInfo.InvariantCulture, $"| {f.At.TotalSeconds:0.0} s | {f.Kind} | {f.Target}{(f.OnLeader ? " (leader)" : "")} | {f.Held.TotalSeconds:0.0} s | {f.Recovery.TotalSeconds:0.0} s | {f.LeaderAfter} | {f.Note} |");
        text.AppendLine();
        FaultFiguresTable.Write(text, result.Faults);
        text.AppendLine();
        text.AppendLine("## Operations");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"- writes: {writes.Count} attempted, {writes.Count(w => w.Outcome == Outcome.Ok)} acknowledged, {writes.Count(w => w.Outcome == Outcome.Failed)} failed, " +
            $"{writes.Count(w => w.Outcome == Outcome.Unknown)} outcome unknown ({result.UnknownApplied} of them applied, {result.UnknownNotApplied} not)");
        foreach (var error in writes.Where(w => w.Outcome != Outcome.Ok).GroupBy(w => Shorten(w.Error)).OrderByDescending(g => g.Count()))
            text.AppendLine(CultureInfo.InvariantCulture, $"  - {error.Count()} × {error.Key}");
        text.AppendLine(CultureInfo.InvariantCulture, $"- heartbeat ticks: {history.Ticks.Count(t => t.Outcome == Outcome.Ok)} acknowledged, {result.TicksLost.Count} of them lost");
        text.AppendLine(CultureInfo.InvariantCulture, $"- lag-bounded replica reads: {history.Reads.Count}, worst staleness seen {result.WorstStaleness.TotalSeconds:0.00} s; " +
            $"by node: {string.Join(", ", history.Reads.GroupBy(r => r.Node).OrderBy(g => g.Key).Select(g => $"{g.Key} {g.Count()}"))}");
        text.AppendLine(CultureInfo.InvariantCulture, $"- read-your-writes reads: {history.ReadYourWrites.Count}");
        text.AppendLine(CultureInfo.InvariantCulture, $"- failed reads (prove nothing): {(history.ReadErrors.IsEmpty ? "none" : string.Join(", ", history.ReadErrors.Select(kv => $"{kv.Value} × {kv.Key}")))}");
        text.AppendLine(CultureInfo.InvariantCulture, $"- writable samples: {history.Writable.Count}");
        text.AppendLine();
        text.AppendLine("## Checker");
        text.AppendLine();
        text.AppendLine("| check | found | required |");
        text.AppendLine("|---|---:|---|");
        Row(text, "lost (acknowledged, missing)", result.Lost, profile.Synchronous ? "none" : "reported (async)");
        Row(text, "duplicated", result.Duplicated, "none");
        Row(text, "unexpected (never attempted)", result.Unexpected, "none");
        Row(text, "failed but applied", result.FailedButApplied, "none");
        Row(text, $"stale reads beyond {StaleBound.TotalSeconds:0} s", result.StaleReads, "none");
        Row(text, "read-your-writes violations", result.ReadYourWritesViolations, "none");
        Row(text, "outcome unknown", result.OutcomeUnknown, profile.Synchronous ? "none" : "reported (async)");
        Row(text, "heartbeat ticks lost (acknowledged, missing)", result.TicksLost, profile.Synchronous ? "none" : "reported (async)");
        Row(text, $"writers stalled past the cluster's time to writable + {FaultFigures.StallAllowance.TotalSeconds:0} s", result.Stalls, "none");
        Row(text, "two nodes writable on one timeline", result.TwoWritableOnOneTimeline, "none");
        Row(text, "two nodes writable on different timelines (informational)", result.TwoWritableOnDifferentTimelines, "reported");
        if (result.Lost.Count > 0)
        {
            // Asynchronous replication loses what the new primary had not received: show that it is bounded to the
            // moments before a failover.
            var lost = result.Lost.ToHashSet();
            var at = writes.Where(w => lost.Contains(w.Id)).Select(w => System.Diagnostics.Stopwatch.GetElapsedTime(started, w.Ended).TotalSeconds).Order();
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"Lost writes were acknowledged at {string.Join(", ", at.Select(t => $"{t:0.00} s"))} into the run (faults at {string.Join(", ", faults.Select(f => $"{f.At.TotalSeconds:0.0} s"))}).");
        }

        text.AppendLine();
        text.AppendLine(Passed(profile, result) ? "**Verdict: passed.**" : "**Verdict: FAILED.**");
        return text.ToString();
    }

    /// <summary>The documented staleness bound: <c>MaxReplicaLag</c> plus one <c>ProbeInterval</c> (1 s).</summary>
    public static TimeSpan StaleBound => FaultProfile.MaxReplicaLag + TimeSpan.FromSeconds(1);

    public static bool Passed(FaultProfile profile, CheckResult r) =>
        (!profile.Synchronous || (r.Lost.Count == 0 && r.TicksLost.Count == 0 && r.OutcomeUnknown.Count == 0))
        && r.Duplicated.Count == 0 && r.Unexpected.Count == 0 && r.FailedButApplied.Count == 0
        && r.StaleReads.Count == 0 && r.ReadYourWritesViolations.Count == 0 && r.TwoWritableOnOneTimeline.Count == 0
        && r.Stalls.Count == 0;

    private static void Row<T>(StringBuilder text, string check, IReadOnlyList<T> found, string required)
    {
        var sample = found.Count == 0 ? "" : " (" + string.Join("; ", found.Take(5)) + (found.Count > 5 ? "; …" : "") + ")";
        text.AppendLine(CultureInfo.InvariantCulture, $"| {check} | {found.Count}{sample} | {required} |");
    }

    private static string Shorten(string? error) => error is null ? "?" : error.Length > 140 ? error[..140] + "…" : error;
}
