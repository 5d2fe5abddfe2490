using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using PgHa.Testing.Internal;

namespace PgHa.Testing;

/// <summary>
/// A proxy (HAProxy, pgpool-II, PgBouncer) run in the foreground from a configuration file the test writes, in a
/// directory of its own that is torn down like a <see cref="PgCluster"/>'s: on dispose, on process exit, or by a
/// reaper if the test host is killed (the reaper kills every process whose command line names the directory, which
/// the configuration file's path does).
/// </summary>
public sealed class ProxyProcess : IAsyncDisposable, IDisposable
{
    private readonly Reaper _reaper;
    private readonly Process _process;
    private readonly StreamWriter _log;
    private int _disposed;

    private ProxyProcess(string root, Process process, Reaper reaper, int port)
    {
        (RootDirectory, _process, _reaper, Port) = (root, process, reaper, port);
        _log = new StreamWriter(LogFile, append: true) { AutoFlush = true };
        ExitHooks.Register(this);
    }

    /// <summary>The proxy's own directory (its configuration, its log, anything else it needs).</summary>
    public string RootDirectory { get; }

    /// <summary>The port it listens on for clients, on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>Its log (stdout and stderr).</summary>
    public string LogFile => Path.Combine(RootDirectory, "proxy.log");

    /// <summary>
    /// Writes the files <paramref name="configure"/> returns (name → text, given the new directory) into a fresh
    /// directory, starts <paramref name="executable"/> with <paramref name="arguments"/> (given the directory), and
    /// returns once <paramref name="port"/> accepts TCP connections.
    /// </summary>
    /// <exception cref="PgHarnessException">The executable is missing, exits, or does not listen in time.</exception>
    public static async Task<ProxyProcess> StartAsync(
        string executable,
        Func<string, IReadOnlyDictionary<string, string>> configure,
        Func<string, IReadOnlyList<string>> arguments,
        int port,
        TimeSpan? startTimeout = null,
        CancellationToken ct = default)
    {
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException("PgHa.Testing needs Linux (/proc, POSIX signals).");
        if (!File.Exists(executable))
            throw new PgHarnessException($"{executable} not found. Install it (Debian/Ubuntu: apt-get install haproxy pgpool2).");
        var root = ClusterDirectory.Create(null, "proxy-" + Path.GetFileName(executable) + "-" + Guid.NewGuid().ToString("N")[..8]);
        foreach (var (name, text) in configure(root))
            await File.WriteAllTextAsync(Path.Combine(root, name), text.EndsWith('\n') ? text : text + "\n", ct); // HAProxy refuses a last line without LF
        var reaper = Reaper.Start(Environment.ProcessId, root, tools: null);
        var start = new ProcessStartInfo(executable) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments(root))
            start.ArgumentList.Add(argument);
        var process = Process.Start(start) ?? throw new PgHarnessException($"Could not start {executable}.");
        var proxy = new ProxyProcess(root, process, reaper, port);
        process.OutputDataReceived += (_, e) => proxy.Log(e.Data);
        process.ErrorDataReceived += (_, e) => proxy.Log(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var deadline = Stopwatch.GetTimestamp() + (long)((startTimeout ?? TimeSpan.FromSeconds(20)).TotalSeconds * Stopwatch.Frequency);
            while (!await AcceptsAsync(port, ct))
            {
                if (process.HasExited)
                    throw new PgHarnessException($"{executable} exited with {process.ExitCode.ToString(CultureInfo.InvariantCulture)}: {proxy.LogTail()}");
                if (Stopwatch.GetTimestamp() > deadline)
                    throw new PgHarnessException($"{Path.GetFileName(executable)} did not listen on 127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)} in time: {proxy.LogTail()}");
                await Task.Delay(50, ct);
            }

            return proxy;
        }
        catch
        {
            await proxy.DisposeAsync();
            throw;
        }
    }

    /// <summary>The last lines of the proxy's log, for failure messages.</summary>
    public string LogTail(int lines = 30)
    {
        try
        {
            using var stream = new FileStream(LogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            return string.Join('\n', reader.ReadToEnd().Split('\n').TakeLast(lines));
        }
        catch (IOException)
        {
            return "(no log)";
        }
    }

    /// <summary>Kills the proxy and deletes its directory.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        if (!_process.HasExited)
            Signals.KillTree(_process.Id);
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        lock (_log)
            _log.Dispose();
        var gone = await ClusterTeardown.RunAsync(RootDirectory, tools: null, _reaper.ProcessId);
        ExitHooks.Unregister(this);
        _process.Dispose();
        if (gone)
            _reaper.Dispose();
    }

    /// <summary>Synchronous <see cref="DisposeAsync"/>.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private void Log(string? line)
    {
        if (line is null)
            return;
        lock (_log)
        {
            if (_disposed == 0)
                _log.WriteLine(line);
        }
    }

    private static async Task<bool> AcceptsAsync(int port, CancellationToken ct)
    {
        using var socket = new TcpClient();
        try
        {
            await socket.ConnectAsync("127.0.0.1", port, ct);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
