using System.Runtime.CompilerServices;
using PgHa.Testing.Internal;

namespace PgHa.Testing;

public sealed partial class PgNode
{
    /// <summary>
    /// SIGKILLs the postmaster and every child at once, as if the host lost power: client sockets close immediately,
    /// <c>postmaster.pid</c> stays behind. <see cref="StartAsync"/> still works afterwards (with crash recovery).
    /// </summary>
    /// <exception cref="InvalidOperationException">The node is not running.</exception>
    public void Kill() => Signals.KillTree(RequirePostmasterPid());

    /// <summary>SIGKILLs only the postmaster; its children notice and exit by themselves (they are thawed first if frozen).</summary>
    /// <exception cref="InvalidOperationException">The node is not running.</exception>
    public void KillPostmasterOnly()
    {
        var pid = RequirePostmasterPid();
        Signals.ContinueTree(pid);
        Signals.Send(pid, Signals.Kill);
        Signals.WaitUntilGone([pid]);
    }

    /// <summary>
    /// SIGSTOPs the postmaster and every child, as if the host hung: TCP connections are still accepted by the kernel,
    /// but nothing answers until <see cref="Thaw"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The node is not running.</exception>
    public void Freeze() => Signals.StopTree(RequirePostmasterPid());

    /// <summary>SIGCONTs the postmaster and every child; does nothing when the node is not running.</summary>
    public void Thaw()
    {
        if (PostmasterPid is { } pid)
            Signals.ContinueTree(pid);
    }

    private int RequirePostmasterPid([CallerMemberName] string operation = "") =>
        PostmasterPid ?? throw new InvalidOperationException($"Cannot {operation}: {this} is not running.");
}
