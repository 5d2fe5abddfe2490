using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace PgHa.Agent.Fencing;

/// <summary>
/// The agent's side of <see cref="FenceWatchdog"/>: runs the watchdog process and passes it each new deadline. Arm it
/// while this member is a primary holding the leader key; disarm it otherwise. Every command waits for the watchdog's
/// acknowledgement: a watchdog that does not answer within <c>FenceAcknowledgeTimeout</c> is taken for hung, killed,
/// and the arm fails, so this member does not lead on a fence that would not fire.
/// </summary>
internal sealed partial class Fence(string dataDirectory, TimeSpan acknowledgeTimeout, ILogger<Fence> logger) : IDisposable
{
    private readonly Lock _gate = new();
    private WatchdogProcess? _watchdog;
    private bool _armed;

    /// <summary>The running watchdog's process id, if one runs.</summary>
    public int? WatchdogId
    {
        get
        {
            lock (_gate)
                return _watchdog?.Id;
        }
    }

    /// <summary>Starts the watchdog now (at agent start), so the first <see cref="Arm"/> does not wait for a process to start.</summary>
    public void Start()
    {
        lock (_gate)
            _ = Running(Until());
    }

    /// <summary>Has the watchdog kill the server unless <see cref="Arm"/> is called again before <paramref name="deadline"/> (a <see cref="Stopwatch"/> timestamp).</summary>
    /// <returns><see langword="false"/> if the watchdog did not acknowledge in time: this member must not lead.</returns>
    public bool Arm(long deadline)
    {
        lock (_gate)
        {
            _armed = Exchange($"arm {deadline.ToString(CultureInfo.InvariantCulture)}");
            return _armed;
        }
    }

    /// <summary>Stops the countdown (this member is no longer a primary with the key, or shuts down cleanly).</summary>
    public void Disarm()
    {
        lock (_gate)
        {
            // Not acknowledged means killed, and a killed watchdog is disarmed too.
            if (_armed && _watchdog is not null)
                _ = Exchange("disarm");
            _armed = false;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _watchdog?.Dispose();
            _watchdog = null;
            _armed = false;
        }
    }

    /// <summary>One command, acknowledged within the timeout; a watchdog that exited is replaced once, within the same timeout.</summary>
    private bool Exchange(string command)
    {
        var until = Until();
        for (var attempt = 0; attempt < 2; attempt++)
        {
            if (Running(until) is not { } watchdog)
                return false;
            switch (watchdog.Send(command, until))
            {
                case WatchdogAnswer.Acknowledged:
                    return true;
                case WatchdogAnswer.Gone:
                    LogRestart(logger, watchdog.Id);
                    Drop(kill: false);
                    continue;
                default:
                    LogNoAnswer(logger, watchdog.Id, command.Split(' ')[0], acknowledgeTimeout.TotalMilliseconds);
                    Drop(kill: true);
                    return false;
            }
        }

        return false;
    }

    /// <summary>The running watchdog, started (and waited for) if there is none; <see langword="null"/> if it cannot be started or does not get ready by <paramref name="until"/>.</summary>
    private WatchdogProcess? Running(long until)
    {
        if (_watchdog is not null)
            return _watchdog;
        try
        {
            _watchdog = WatchdogProcess.Start(dataDirectory);
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception or IOException)
        {
            LogCannotStart(logger, ex.Message);
            return null;
        }

        if (_watchdog.WaitReady(until) == WatchdogAnswer.Acknowledged)
            return _watchdog;
        LogNotReady(logger, _watchdog.Id);
        Drop(kill: true);
        return null;
    }

    private void Drop(bool kill)
    {
        if (kill)
            _watchdog?.Kill();
        _watchdog?.Dispose();
        _watchdog = null;
        _armed = false;
    }

    private long Until() => Stopwatch.GetTimestamp() + (long)(acknowledgeTimeout.TotalSeconds * Stopwatch.Frequency);

    [LoggerMessage(EventId = 660, Level = LogLevel.Warning, Message = "The watchdog process {Pid} exited; starting a new one")]
    private static partial void LogRestart(ILogger logger, int pid);

    [LoggerMessage(EventId = 661, Level = LogLevel.Error, Message = "The watchdog process {Pid} did not acknowledge '{Command}' within {Milliseconds:0} ms: it is hung; killing it")]
    private static partial void LogNoAnswer(ILogger logger, int pid, string command, double milliseconds);

    [LoggerMessage(EventId = 662, Level = LogLevel.Error, Message = "Could not start the watchdog process: {Reason}")]
    private static partial void LogCannotStart(ILogger logger, string reason);

    [LoggerMessage(EventId = 663, Level = LogLevel.Error, Message = "The watchdog process {Pid} did not get ready in time; killing it")]
    private static partial void LogNotReady(ILogger logger, int pid);
}
