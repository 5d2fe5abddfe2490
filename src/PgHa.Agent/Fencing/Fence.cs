using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace PgHa.Agent.Fencing;

/// <summary>
/// The agent's side of <see cref="FenceWatchdog"/>: starts the watchdog process and passes it each new deadline.
/// Arm it while this member is a primary holding the leader key; disarm it otherwise.
/// </summary>
internal sealed partial class Fence(string dataDirectory, ILogger<Fence> logger) : IDisposable
{
    private readonly Lock _gate = new();
    private Process? _watchdog;

    /// <summary>Has the watchdog shut the postmaster down unless <see cref="Arm"/> is called again before <paramref name="deadline"/> (a <see cref="Stopwatch"/> timestamp).</summary>
    /// <returns><see langword="false"/> if the watchdog process cannot be reached: this member must not lead.</returns>
    public bool Arm(long deadline) => Send($"arm {deadline.ToString(CultureInfo.InvariantCulture)}");

    /// <summary>Stops the countdown (this member is no longer a primary with the key, or shuts down cleanly).</summary>
    public void Disarm() => Send("disarm");

    public void Dispose()
    {
        lock (_gate)
        {
            if (_watchdog is null)
                return;
            try
            {
                _watchdog.StandardInput.WriteLine("disarm");
                _watchdog.StandardInput.Close(); // the watchdog exits: nothing is armed
                _watchdog.WaitForExit(2000);
            }
            catch (IOException)
            {
            }

            _watchdog.Dispose();
            _watchdog = null;
        }
    }

    private bool Send(string command)
    {
        lock (_gate)
        {
            for (var attempt = 0; attempt < 2; attempt++)
            {
                try
                {
                    EnsureStarted().StandardInput.WriteLine(command);
                    return true;
                }
                catch (Exception ex) when (ex is IOException or InvalidOperationException or System.ComponentModel.Win32Exception)
                {
                    LogRestart(logger, ex.Message);
                    _watchdog?.Dispose();
                    _watchdog = null;
                }
            }

            return false;
        }
    }

    private Process EnsureStarted()
    {
        if (_watchdog is { HasExited: false } running)
            return running;
        _watchdog?.Dispose();
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("The agent's executable path is unknown.");
        var start = new ProcessStartInfo(self) { UseShellExecute = false, RedirectStandardInput = true };
        // Run as `dotnet pgha-agent.dll`, the host is dotnet: pass the assembly first.
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
            start.ArgumentList.Add(typeof(Fence).Assembly.Location);
        start.ArgumentList.Add("watchdog");
        start.ArgumentList.Add(dataDirectory);
        _watchdog = Process.Start(start) ?? throw new InvalidOperationException("Could not start the watchdog process.");
        _watchdog.StandardInput.AutoFlush = true;
        return _watchdog;
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "Watchdog process unavailable ({Reason}); starting a new one")]
    private static partial void LogRestart(ILogger logger, string reason);
}
