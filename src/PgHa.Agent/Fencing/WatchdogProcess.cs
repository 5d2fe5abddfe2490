using System.Diagnostics;

namespace PgHa.Agent.Fencing;

/// <summary>How a watchdog answered one command.</summary>
internal enum WatchdogAnswer
{
    /// <summary>It acknowledged: the new deadline holds.</summary>
    Acknowledged,

    /// <summary>Its pipes are closed: it exited (start a new one).</summary>
    Gone,

    /// <summary>No answer in time: it is hung (or too starved to count on).</summary>
    NoAnswer,
}

/// <summary>
/// One running <see cref="FenceWatchdog"/> process and its answers. A thread of its own reads the watchdog's stdout
/// and counts its answers on a semaphore, and callers wait on that semaphore synchronously, so a starved thread pool
/// cannot make a live watchdog look hung.
/// </summary>
internal sealed class WatchdogProcess : IDisposable
{
    private readonly Process _process;
    private readonly SemaphoreSlim _answers = new(0);
    private volatile bool _closed;

    private WatchdogProcess(Process process)
    {
        _process = process;
        var reader = new Thread(ReadAnswers) { IsBackground = true, Name = "watchdog answers" };
        reader.Start();
    }

    /// <summary>The watchdog's process id.</summary>
    public int Id => _process.Id;

    /// <summary>Starts <c>pgha-agent watchdog &lt;dataDirectory&gt;</c>.</summary>
    public static WatchdogProcess Start(string dataDirectory)
    {
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("The agent's executable path is unknown.");
        var start = new ProcessStartInfo(self) { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true };
        // Run as `dotnet pgha-agent.dll`, the host is dotnet: pass the assembly first.
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
            start.ArgumentList.Add(typeof(WatchdogProcess).Assembly.Location);
        start.ArgumentList.Add("watchdog");
        start.ArgumentList.Add(dataDirectory);
        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the watchdog process.");
        process.StandardInput.AutoFlush = true;
        return new WatchdogProcess(process);
    }

    /// <summary>Waits until <paramref name="until"/> (a <see cref="Stopwatch"/> timestamp) for the watchdog's <c>ready</c>.</summary>
    public WatchdogAnswer WaitReady(long until) => Wait(until);

    /// <summary>Sends one command and waits until <paramref name="until"/> (a <see cref="Stopwatch"/> timestamp) for its <c>ok</c>.</summary>
    public WatchdogAnswer Send(string command, long until)
    {
        while (_answers.Wait(0))
        {
            // an answer left over from earlier (none is expected: a late answer means the process was killed)
        }

        try
        {
            _process.StandardInput.WriteLine(command);
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or ObjectDisposedException)
        {
            return WatchdogAnswer.Gone;
        }

        return Wait(until);
    }

    /// <summary>SIGKILL: a hung watchdog can fence nothing, and a killed one fences nothing by surprise later.</summary>
    public void Kill()
    {
        try
        {
            _process.Kill();
            _process.WaitForExit(2000);
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // already gone
        }
    }

    /// <summary>Disarms and closes its stdin, so it exits with nothing armed; kills it if it does not.</summary>
    public void Dispose()
    {
        try
        {
            if (!_process.HasExited && Send("disarm", Stopwatch.GetTimestamp() + Stopwatch.Frequency) == WatchdogAnswer.Acknowledged)
            {
                _process.StandardInput.Close();
                _process.WaitForExit(2000);
            }
        }
        catch (IOException)
        {
        }

        if (!_process.HasExited)
            Kill();
        _process.Dispose();
        _answers.Dispose();
    }

    private WatchdogAnswer Wait(long until)
    {
        var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), until);
        if (!_answers.Wait(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero))
            return _closed ? WatchdogAnswer.Gone : WatchdogAnswer.NoAnswer;
        return _closed ? WatchdogAnswer.Gone : WatchdogAnswer.Acknowledged;
    }

    private void ReadAnswers()
    {
        try
        {
            while (_process.StandardOutput.ReadLine() is { } line)
            {
                if (line is "ok" or "ready")
                    _answers.Release();
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
        }

        _closed = true;
        try
        {
            _answers.Release(); // wake a waiter at once: the answer will never come
        }
        catch (ObjectDisposedException)
        {
        }
    }
}
