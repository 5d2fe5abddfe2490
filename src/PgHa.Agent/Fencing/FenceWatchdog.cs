using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace PgHa.Agent.Fencing;

/// <summary>
/// The watchdog process (<c>pgha-agent watchdog &lt;data directory&gt;</c>): a software stand-in for Patroni's
/// <c>/dev/watchdog</c>. The agent arms it after every lease renewal with the moment its lease could start to expire;
/// if that moment passes without a new one (the agent is frozen, stuck or dead), the watchdog kills the whole server
/// (<see cref="ServerKiller"/>), so a primary never takes writes after another node may have been promoted. It is a
/// separate process because a frozen agent cannot fence anything itself.
/// </summary>
/// <remarks>
/// Protocol, one line each way: it writes <c>ready</c> once it reads commands, then answers <c>ok</c> to each
/// <c>arm &lt;Stopwatch timestamp&gt;</c> or <c>disarm</c> once the new deadline holds, so the agent can tell a hung
/// watchdog from a live one. Everything runs on plain threads: no thread pool to starve.
/// </remarks>
internal static class FenceWatchdog
{
    /// <summary>How long the watchdog waits for a killed server's processes to be gone.</summary>
    private static readonly TimeSpan KillWait = TimeSpan.FromSeconds(5);

    /// <summary>The longest single wait for a command (a wait must fit in an int of milliseconds).</summary>
    private static readonly TimeSpan MaxWait = TimeSpan.FromHours(1);

    /// <summary>Reads commands from stdin until it closes; see the remarks.</summary>
    public static Task<int> RunAsync(string dataDirectory) => Task.FromResult(Run(dataDirectory));

    private static int Run(string dataDirectory)
    {
        using var lines = new BlockingCollection<string>();
        // Reading stdin blocks: a thread of its own reads, and the countdown waits for either a line or the deadline.
        var reader = new Thread(() =>
        {
            while (Console.In.ReadLine() is { } read)
                lines.Add(read);
            lines.CompleteAdding();
        }) { IsBackground = true, Name = "watchdog stdin" };
        reader.Start();
        Answer("ready");
        long? deadline = null;
        while (true)
        {
            var wait = deadline is { } d ? Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), d) : Timeout.InfiniteTimeSpan;
            if (wait > MaxWait)
                wait = MaxWait;
            if (deadline is not null && wait <= TimeSpan.Zero)
            {
                Fence(dataDirectory);
                deadline = null;
                continue;
            }

            if (!lines.TryTake(out var command, wait))
            {
                if (!lines.IsCompleted)
                    continue;
                // The agent is gone. Keep the promise it made: fence when its lease may run out, then leave.
                if (deadline is { } last)
                {
                    var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), last);
                    if (remaining > TimeSpan.Zero)
                    {
                        using var never = new ManualResetEventSlim();
                        never.Wait(remaining);
                    }

                    Fence(dataDirectory);
                }

                return 0;
            }

            if (command == "disarm")
                deadline = null;
            else if (command.StartsWith("arm ", StringComparison.Ordinal) && long.TryParse(command.AsSpan(4), CultureInfo.InvariantCulture, out var at))
                deadline = at;
            else
            {
                Answer("error: unknown command");
                continue;
            }

            Answer("ok");
        }
    }

    private static void Answer(string line)
    {
        Console.Out.WriteLine(line);
        Console.Out.Flush();
    }

    private static void Fence(string dataDirectory)
    {
        if (PostmasterPid(dataDirectory) is not { } pid || !ServerKiller.IsPostgres(pid))
            return;
        Console.Error.WriteLine($"pgha-agent watchdog: the leader lease was not renewed in time; killing the postmaster {pid} and all its processes");
        if (!ServerKiller.Kill(pid, KillWait))
            Console.Error.WriteLine($"pgha-agent watchdog: a process of the server {pid} was still there {KillWait.TotalSeconds:0} s after SIGKILL");
    }

    private static int? PostmasterPid(string dataDirectory)
    {
        try
        {
            var first = File.ReadLines(Path.Combine(dataDirectory, "postmaster.pid")).FirstOrDefault();
            return int.TryParse(first, CultureInfo.InvariantCulture, out var pid) && pid > 0 ? pid : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
