using System.Globalization;
using System.Runtime.InteropServices;

namespace PgHa.Agent.Fencing;

/// <summary>
/// Kills a whole PostgreSQL server at once: the postmaster is stopped first (SIGSTOP) so it can spawn nothing, every
/// descendant is SIGKILLed, then the postmaster. Killing only the postmaster (or asking it to quit) leaves any child
/// that does not answer at once (stopped, stuck in I/O) running and attached to the shared memory.
/// </summary>
internal static partial class ServerKiller
{
    private const int SigKill = 9;
    private const int SigStop = 19;
    private const int SigCont = 18;

    /// <summary>Kills the server whose postmaster is <paramref name="postmasterPid"/> and waits up to <paramref name="wait"/> until every process of it is gone; <see langword="false"/> if one is still there.</summary>
    public static bool Kill(int postmasterPid, TimeSpan wait)
    {
        _ = SendSignal(postmasterPid, SigStop);
        var killed = new HashSet<int>();
        // A child forked just before the SIGSTOP landed may itself fork (a backend's parallel worker is the
        // postmaster's, but be thorough): walk the tree until no live descendant remains.
        for (var round = 0; round < 10; round++)
        {
            var live = Descendants(postmasterPid).Where(IsAlive).ToList();
            if (live.Count == 0)
                break;
            foreach (var pid in live)
            {
                _ = SendSignal(pid, SigKill);
                killed.Add(pid);
            }
        }

        _ = SendSignal(postmasterPid, SigKill);
        _ = SendSignal(postmasterPid, SigCont); // a stopped process dies of SIGKILL anyway; this only makes that explicit
        killed.Add(postmasterPid);
        return SpinWait.SpinUntil(() => !killed.Any(IsAlive), wait);
    }

    /// <summary>Whether <paramref name="pid"/> is a live PostgreSQL process (its command name is <c>postgres</c>), so a stale pid file never makes us kill a stranger.</summary>
    public static bool IsPostgres(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").Trim() is "postgres" or "postmaster" && IsAlive(pid);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Every descendant of <paramref name="root"/>, from each process's parent in <c>/proc/*/stat</c>.</summary>
    internal static IReadOnlyList<int> Descendants(int root)
    {
        var children = new Dictionary<int, List<int>>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || ReadStat(pid) is not { } stat)
                continue;
            if (!children.TryGetValue(stat.Parent, out var list))
                children[stat.Parent] = list = [];
            list.Add(pid);
        }

        var result = new List<int>();
        var pending = new Queue<int>([root]);
        while (pending.TryDequeue(out var parent))
        {
            foreach (var child in children.GetValueOrDefault(parent) ?? [])
            {
                result.Add(child);
                pending.Enqueue(child);
            }
        }

        return result;
    }

    /// <summary>Exists and has not exited: a zombie waiting to be reaped is dead.</summary>
    internal static bool IsAlive(int pid) => ReadStat(pid) is { State: not ('Z' or 'X') };

    private static (char State, int Parent)? ReadStat(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        // "pid (comm) state ppid ...": the command name may hold spaces and parentheses, so split after the last ')'.
        var close = text.LastIndexOf(')');
        if (close < 0 || close + 2 >= text.Length)
            return null;
        var fields = text[(close + 2)..].Split(' ', 3);
        return fields.Length >= 2 && int.TryParse(fields[1], CultureInfo.InvariantCulture, out var parent) ? (fields[0][0], parent) : null;
    }

    private static bool SendSignal(int pid, int signal) => NativeKill(pid, signal) == 0;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int NativeKill(int pid, int signal);
}
