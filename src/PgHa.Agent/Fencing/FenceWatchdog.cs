using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace PgHa.Agent.Fencing;

/// <summary>
/// The watchdog process (<c>pgha-agent watchdog &lt;data directory&gt;</c>): a software stand-in for Patroni's
/// <c>/dev/watchdog</c>. The agent arms it after every lease renewal with the moment its lease could start to expire;
/// if that moment passes without a new one (the agent is frozen, stuck or dead), the watchdog shuts the postmaster
/// down at once (SIGQUIT, then SIGKILL), so a primary never takes writes after another node may have been promoted.
/// It is a separate process because a frozen agent cannot fence anything itself.
/// </summary>
internal static partial class FenceWatchdog
{
    private const int SigKill = 9;
    private const int SigQuit = 3;

    /// <summary>Reads <c>arm &lt;Stopwatch timestamp&gt;</c> and <c>disarm</c> lines from stdin until it closes.</summary>
    public static async Task<int> RunAsync(string dataDirectory)
    {
        long? deadline = null;
        // Console.In reads synchronously even through ReadLineAsync: a blocked read would stop the countdown, so a
        // thread of its own reads and this loop waits for either a line or the deadline.
        var lines = System.Threading.Channels.Channel.CreateUnbounded<string?>();
        var reader = new Thread(() =>
        {
            while (Console.In.ReadLine() is { } read)
                lines.Writer.TryWrite(read);
            lines.Writer.TryWrite(null);
        }) { IsBackground = true, Name = "watchdog stdin" };
        reader.Start();
        var line = lines.Reader.ReadAsync().AsTask();
        while (true)
        {
            var wait = deadline is { } d ? Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), d) : Timeout.InfiniteTimeSpan;
            if (wait != Timeout.InfiniteTimeSpan && wait <= TimeSpan.Zero)
            {
                await FenceAsync(dataDirectory).ConfigureAwait(false);
                deadline = null;
                continue;
            }

            if (await Task.WhenAny(line, Task.Delay(wait)).ConfigureAwait(false) != line)
                continue;
            var command = await line.ConfigureAwait(false);
            if (command is null)
            {
                // The agent is gone. Keep the promise it made: fence when its lease may run out, then leave.
                if (deadline is { } last)
                {
                    var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), last);
                    if (remaining > TimeSpan.Zero)
                        await Task.Delay(remaining).ConfigureAwait(false);
                    await FenceAsync(dataDirectory).ConfigureAwait(false);
                }

                return 0;
            }

            if (command == "disarm")
                deadline = null;
            else if (command.StartsWith("arm ", StringComparison.Ordinal) && long.TryParse(command.AsSpan(4), CultureInfo.InvariantCulture, out var at))
                deadline = at;
            line = lines.Reader.ReadAsync().AsTask();
        }
    }

    private static async Task FenceAsync(string dataDirectory)
    {
        if (PostmasterPid(dataDirectory) is not { } pid)
            return;
        Console.Error.WriteLine($"pgha-agent watchdog: the leader lease was not renewed in time; shutting down the postmaster {pid} (immediate)");
        _ = Kill(pid, SigQuit);
        for (var i = 0; i < 20 && Directory.Exists($"/proc/{pid}"); i++)
            await Task.Delay(50).ConfigureAwait(false);
        if (Directory.Exists($"/proc/{pid}"))
            _ = Kill(pid, SigKill);
    }

    private static int? PostmasterPid(string dataDirectory)
    {
        try
        {
            var first = File.ReadLines(Path.Combine(dataDirectory, "postmaster.pid")).FirstOrDefault();
            return int.TryParse(first, CultureInfo.InvariantCulture, out var pid) && pid > 0 ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
