using PgHa.Testing.Internal;

namespace PgHa.Testing;

/// <summary>
/// The OS processes behind one <see cref="AgentNode"/>, found in <c>/proc</c>, for faults aimed at one of them (a
/// stopped checkpointer, a hung watchdog) and for checking that a fence left nothing behind.
/// </summary>
public static class NodeProcesses
{
    /// <summary>One process as seen once: its pid and start time, so a reused pid is not taken for it.</summary>
    public readonly record struct Seen(int Pid, ulong StartTime);

    /// <summary>The node's postmaster and every process below it, right now.</summary>
    public static IReadOnlyList<Seen> Server(AgentNode node)
    {
        if (node.PostmasterPid() is not { } postmaster)
            return [];
        return new[] { postmaster }.Concat(ProcessTree.Descendants(postmaster))
            .Select(pid => ProcessTree.ReadStat(pid)).OfType<ProcessTree.Stat>()
            .Select(s => new Seen(s.Pid, s.StartTime)).ToList();
    }

    /// <summary>Whether that very process still runs (a zombie counts as gone).</summary>
    public static bool IsAlive(Seen process) => ProcessTree.ReadStat(process.Pid) is { State: not ('Z' or 'X') } s && s.StartTime == process.StartTime;

    /// <summary>The server's checkpointer: the postmaster's child whose command line says <c>checkpointer</c>.</summary>
    public static int? Checkpointer(AgentNode node)
        => node.PostmasterPid() is { } postmaster ? ChildWith(postmaster, "checkpointer") : null;

    /// <summary>The agent's watchdog process: its child started as <c>pgha-agent watchdog &lt;data directory&gt;</c>.</summary>
    public static int? Watchdog(AgentNode node)
        => node.AgentPid is { } agent ? ChildWith(agent, " watchdog ") : null;

    /// <summary>SIGSTOP of one process.</summary>
    public static void Stop(int pid) => Signals.Send(pid, Signals.Stop);

    /// <summary>SIGCONT of one process (nothing if it is gone).</summary>
    public static void Continue(int pid) => Signals.Send(pid, Signals.Continue);

    /// <summary>SIGKILL of one process (nothing if it is gone).</summary>
    public static void Kill(int pid) => Signals.Send(pid, Signals.Kill);

    private static int? ChildWith(int parent, string fragment)
    {
        foreach (var pid in ProcessTree.Descendants(parent))
        {
            if (ProcessTree.ReadStat(pid) is { } stat && stat.ParentPid == parent && ProcessTree.ReadCommandLine(pid).Contains(fragment, StringComparison.Ordinal))
                return pid;
        }

        return null;
    }
}
