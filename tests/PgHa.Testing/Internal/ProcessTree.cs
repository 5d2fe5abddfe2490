using System.Globalization;

namespace PgHa.Testing.Internal;

/// <summary>Reads process state and parentage from <c>/proc</c>.</summary>
internal static class ProcessTree
{
    /// <summary>A process's state letter, parent and start time (clock ticks since boot).</summary>
    public readonly record struct Stat(int Pid, char State, int ParentPid, ulong StartTime);

    public static Stat? ReadStat(int pid) => ReadStat(pid, thread: null);

    private static Stat? ReadStat(int pid, int? thread)
    {
        string text;
        try
        {
            text = File.ReadAllText(thread is { } tid ? $"/proc/{pid}/task/{tid}/stat" : $"/proc/{pid}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        // The command name sits in parentheses and may itself contain spaces or parentheses.
        var close = text.LastIndexOf(')');
        if (close < 0 || close + 2 >= text.Length)
            return null;
        var fields = text[(close + 2)..].Split(' ');
        if (fields.Length < 20)
            return null;
        return new Stat(
            pid,
            fields[0][0],
            int.Parse(fields[1], CultureInfo.InvariantCulture),
            ulong.Parse(fields[19], CultureInfo.InvariantCulture));
    }

    /// <summary>Whether every thread of the process is stopped (state T) or gone.</summary>
    public static bool AllThreadsStopped(int pid)
    {
        try
        {
            return Directory.EnumerateDirectories($"/proc/{pid}/task")
                .All(task => int.TryParse(Path.GetFileName(task), CultureInfo.InvariantCulture, out var tid)
                             && ReadStat(pid, tid) is not { State: not ('T' or 't' or 'Z' or 'X') });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return true; // exited meanwhile
        }
    }

    /// <summary>Whether the process exists and has not exited; a zombie waiting to be reaped counts as exited.</summary>
    public static bool IsAlive(int pid) => ReadStat(pid) is { State: not ('Z' or 'X') };

    public static string ReadCommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    /// <summary>Every descendant of <paramref name="root"/>, children before grandchildren.</summary>
    public static IReadOnlyList<int> Descendants(int root)
    {
        var byParent = AllStats().ToLookup(s => s.ParentPid, s => s.Pid);
        var result = new List<int>();
        var pending = new Queue<int>([root]);
        while (pending.TryDequeue(out var parent))
        {
            foreach (var child in byParent[parent])
            {
                result.Add(child);
                pending.Enqueue(child);
            }
        }

        return result;
    }

    /// <summary>Live processes, other than this one, whose command line contains <paramref name="fragment"/>.</summary>
    public static IReadOnlyList<int> FindByCommandLine(string fragment) =>
        AllPids()
            .Where(pid => pid != Environment.ProcessId
                && ReadCommandLine(pid).Contains(fragment, StringComparison.Ordinal)
                && IsAlive(pid))
            .ToList();

    private static IEnumerable<Stat> AllStats() =>
        AllPids().Select(pid => ReadStat(pid)).OfType<Stat>();

    private static IEnumerable<int> AllPids()
    {
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                yield return pid;
        }
    }
}
