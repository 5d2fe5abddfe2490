using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace PgHa.FaultTests;

/// <summary>The report's section on what each fault cost the writers, next to what it cost the cluster.</summary>
internal static class FaultFiguresTable
{
    public static void Write(StringBuilder text, IReadOnlyList<FaultFigures> figures)
    {
        text.AppendLine("## Writes through each fault");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"""
            - *Window*: from the fault's start to the cluster healthy again (a leader running, both replicas streaming and,
              in synchronous mode, a synchronous standby recorded).
            - *Cluster without commits*: the longest stretch in the window in which no node acknowledged a commit of a probe
              that commits on every node every 100 ms with plain Npgsql over the network (not through PgHa), from the
              fault's start; none if never more than {ClusterOutage.Threshold.TotalSeconds:0.0} s. *Cluster writable again after*: from the fault's
              start to the end of that stretch (0 if none).
            - *Longest gap, all writers*: the longest stretch without any acknowledged write (the writers' and the
              heartbeat's) that overlaps the window, from the last acknowledgement before it to the first after.
            - *Longest wait, one writer*: the longest one writer waited for its next acknowledgement, from its first
              attempt after the previous one (retries included; a session writer's read-back and the heartbeat's pause
              between ticks are not waits). *Limit*: a wait open in the window may last at most the cluster's time to
              writable plus {FaultFigures.StallAllowance.TotalSeconds:0} s.
            - *p99 write latency*: of the writes that overlapped the window, failed ones included.
            """);
        text.AppendLine();
        text.AppendLine("| at | fault | cluster without commits | cluster writable again after | longest gap, all writers | longest wait, one writer | limit | p99 write latency (writes) |");
        text.AppendLine("|---:|---|---:|---:|---:|---:|---:|---:|");
        foreach (var f in figures)
        {
            var wait = f.LongestWait;
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {f.Fault.At.TotalSeconds:0.0} s | {f.Fault.Kind} on {f.Fault.Target} | {Outage(f)} | {f.TimeToWritable.TotalSeconds:0.00} s | {f.LongestGap.TotalSeconds:0.00} s | " +
                $"{wait.Wait.Length.TotalSeconds:0.00} s ({wait.Writer}) | {f.StallLimit.TotalSeconds:0.00} s | {f.P99Latency.TotalSeconds:0.000} s ({f.Writes}) |");
        }
    }

    private static string Outage(FaultFigures f) => f.ClusterOutage is { } o
        ? $"{Stopwatch.GetElapsedTime(f.Fault.Window.From, o.From).TotalSeconds:0.00}–{Stopwatch.GetElapsedTime(f.Fault.Window.From, o.To).TotalSeconds:0.00} s"
        : "none";
}
