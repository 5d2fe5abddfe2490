namespace PgHa.Testing.Internal;

/// <summary>Sends POSIX signals to processes and process trees.</summary>
internal static class Signals
{
    // Linux numbering (x86-64 and arm64 agree on these).
    public const int Kill = 9;
    public const int Term = 15;
    public const int Continue = 18;
    public const int Stop = 19;

    private static readonly TimeSpan ExitWait = TimeSpan.FromSeconds(5);

    public static bool Send(int pid, int signal) => LibC.Kill(pid, signal) == 0;

    /// <summary>SIGKILLs a process and all its descendants, and waits briefly until they are gone.</summary>
    public static void KillTree(int root)
    {
        // Stopped first so that it cannot fork a child we would miss, and so its children stay its children.
        Send(root, Stop);
        var descendants = ProcessTree.Descendants(root);
        foreach (var pid in descendants)
            Send(pid, Kill);
        Send(root, Kill);
        WaitUntilGone([root, .. descendants]);
    }

    /// <summary>SIGSTOPs a process and all its descendants.</summary>
    public static void StopTree(int root)
    {
        Send(root, Stop);
        foreach (var pid in ProcessTree.Descendants(root))
            Send(pid, Stop);
    }

    /// <summary>SIGCONTs a process and all its descendants.</summary>
    public static void ContinueTree(int root)
    {
        foreach (var pid in ProcessTree.Descendants(root))
            Send(pid, Continue);
        Send(root, Continue);
    }

    public static bool WaitUntilGone(IReadOnlyCollection<int> pids) =>
        SpinWait.SpinUntil(() => !pids.Any(ProcessTree.IsAlive), ExitWait);
}
