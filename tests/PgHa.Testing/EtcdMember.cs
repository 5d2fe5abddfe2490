using System.Diagnostics;
using System.Globalization;
using PgHa.Testing.Internal;

namespace PgHa.Testing;

/// <summary>One etcd member process on loopback, with the faults tests need: kill, freeze, stop and start again.</summary>
public sealed class EtcdMember
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(2) };
    private readonly string _etcd;
    private readonly string _initialCluster;
    private readonly TimeSpan _startTimeout;
    private Process? _process;

    internal EtcdMember(string name, string directory, string etcd, string initialCluster, string address, int clientPort, int peerPort, TimeSpan startTimeout)
    {
        Address = address;
        Name = name;
        Directory = directory;
        ClientPort = clientPort;
        PeerPort = peerPort;
        _etcd = etcd;
        _initialCluster = initialCluster;
        _startTimeout = startTimeout;
    }

    /// <summary>The member's name, e.g. <c>etcd1</c>.</summary>
    public string Name { get; }

    /// <summary>The member's directory (data and log).</summary>
    public string Directory { get; }

    /// <summary>The address it listens on (127.0.0.1 unless <see cref="EtcdClusterOptions.ListenAddress"/> says otherwise).</summary>
    public string Address { get; }

    /// <summary>The client port.</summary>
    public int ClientPort { get; }

    /// <summary>The peer port.</summary>
    public int PeerPort { get; }

    /// <summary>The client URL, e.g. <c>http://127.0.0.1:23790</c>.</summary>
    public string ClientUrl => Url(Address, ClientPort);

    /// <summary>etcd's own log.</summary>
    public string LogFile => Path.Combine(Directory, "etcd.log");

    /// <summary>Whether the member's process is running (frozen counts as running).</summary>
    public bool IsRunning => _process is { HasExited: false };

    internal static string Url(string address, int port) => $"http://{address}:{port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Starts the member (again, after <see cref="Kill"/> or <see cref="StopAsync"/>: its data is kept) and waits until it answers <c>/health</c>.</summary>
    public async Task StartAsync(CancellationToken ct = default)
    {
        if (IsRunning)
            throw new PgHarnessException($"{Name} is already running.");
        var start = new ProcessStartInfo(_etcd)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in Arguments())
            start.ArgumentList.Add(argument);
        _process = Process.Start(start) ?? throw new PgHarnessException($"Could not start {_etcd}.");
        _process.StandardInput.Close();
        _ = _process.StandardOutput.ReadToEndAsync(CancellationToken.None); // etcd logs to LogFile; drain anyway
        _ = _process.StandardError.ReadToEndAsync(CancellationToken.None);
        await Poll.UntilAsync(IsHealthyAsync, _startTimeout, () => $"etcd member {Name} to answer {ClientUrl}/health (log: {LogFile})", ct);
    }

    /// <summary>Whether the member answers <c>/health</c> with <c>"health":"true"</c> (which needs a quorum).</summary>
    public async Task<bool> IsHealthyAsync(CancellationToken ct = default)
    {
        if (!IsRunning)
            return false;
        var body = await Http.GetStringAsync(new Uri(ClientUrl + "/health"), ct);
        return body.Contains("\"health\":\"true\"", StringComparison.Ordinal);
    }

    /// <summary>SIGKILL.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } p)
        {
            Signals.Send(p.Id, Signals.Continue);
            Signals.Send(p.Id, Signals.Kill);
            p.WaitForExit(5000);
        }
    }

    /// <summary>SIGSTOP: the process stays, answers nothing, holds its sockets open. Returns once every thread has
    /// stopped: kill(2) returns before a busy thread does, and could still answer a request sent right after.</summary>
    public void Freeze()
    {
        SignalIfRunning(Signals.Stop);
        if (_process is { HasExited: false } p)
            SpinWait.SpinUntil(() => ProcessTree.AllThreadsStopped(p.Id), TimeSpan.FromSeconds(2));
    }

    /// <summary>SIGCONT after <see cref="Freeze"/>.</summary>
    public void Thaw() => SignalIfRunning(Signals.Continue);

    /// <summary>SIGTERM, and waits for the process to exit.</summary>
    public async Task StopAsync(CancellationToken ct = default)
    {
        if (_process is not { HasExited: false } p)
            return;
        Signals.Send(p.Id, Signals.Continue);
        Signals.Send(p.Id, Signals.Term);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(10));
        try
        {
            await p.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            Kill();
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({ClientUrl})";

    private void SignalIfRunning(int signal)
    {
        if (_process is { HasExited: false } p)
            Signals.Send(p.Id, signal);
    }

    private IEnumerable<string> Arguments()
    {
        var data = Path.Combine(Directory, "member-data");
        var fresh = !System.IO.Directory.Exists(data);
        return
        [
            "--name", Name,
            "--data-dir", data,
            "--listen-client-urls", ClientUrl,
            "--advertise-client-urls", ClientUrl,
            "--listen-peer-urls", Url(Address, PeerPort),
            "--initial-advertise-peer-urls", Url(Address, PeerPort),
            "--initial-cluster", _initialCluster,
            "--initial-cluster-state", fresh ? "new" : "existing",
            "--initial-cluster-token", Path.GetFileName(Path.GetDirectoryName(Directory)!),
            // Loopback latencies: elect quickly, so tests that kill a member do not wait for nothing.
            "--heartbeat-interval", "50",
            "--election-timeout", "500",
            "--logger", "zap",
            "--log-outputs", LogFile,
        ];
    }
}
