using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Npgsql;

namespace PgHa.Testing;

/// <summary>
/// One database node under test: a real pgha-agent process (which runs its own PostgreSQL in
/// <see cref="DataDirectory"/>), its ports and its log. Faults are real signals to real processes.
/// </summary>
public sealed class AgentNode
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(40) };
    private readonly string _agentAssembly;
    private readonly Func<AgentNode, IReadOnlyList<string>> _arguments;
    private Process? _agent;
    private StreamWriter? _log;

    private readonly IReadOnlyList<string> _launcher;

    /// <summary>
    /// A node whose agent is <c>dotnet <paramref name="agentAssembly"/> &lt;arguments&gt;</c>, listening on
    /// <paramref name="host"/>, started through <paramref name="launcher"/> if given (a command prefix that execs the
    /// rest, e.g. <c>ip netns exec &lt;namespace&gt;</c>); not started yet.
    /// </summary>
    public AgentNode(string name, string dataDirectory, int pgPort, int restPort, string agentAssembly, Func<AgentNode, IReadOnlyList<string>> arguments, string host = "127.0.0.1", IReadOnlyList<string>? launcher = null)
    {
        (Name, DataDirectory, PgPort, RestPort, _agentAssembly, _arguments, Host) = (name, dataDirectory, pgPort, restPort, agentAssembly, arguments, host);
        _launcher = launcher ?? [];
    }

    /// <summary>The address PostgreSQL and the REST API listen on.</summary>
    public string Host { get; }

    /// <summary>The member name.</summary>
    public string Name { get; }

    /// <summary>PostgreSQL's data directory (the agent creates it).</summary>
    public string DataDirectory { get; }

    /// <summary>PostgreSQL's port.</summary>
    public int PgPort { get; }

    /// <summary>The REST API's port.</summary>
    public int RestPort { get; }

    /// <summary>The REST API's base address.</summary>
    public Uri RestUrl => new($"http://{Host}:{RestPort.ToString(CultureInfo.InvariantCulture)}");

    /// <summary>The agent's stdout and stderr, next to the data directory.</summary>
    public string LogFile => Path.Combine(Path.GetDirectoryName(DataDirectory)!, "agent.log");

    /// <summary>A superuser connection string to this node alone.</summary>
    public string ConnectionString => $"Host={Host};Port={PgPort};Username=postgres;Database=postgres;Pooling=false;Timeout=3;Command Timeout=10";

    /// <summary>
    /// A superuser connection string over PostgreSQL's Unix socket in <paramref name="socketDirectory"/>: it reaches the
    /// server even when the node's network is cut (a node in a network namespace shares the file system).
    /// </summary>
    public string UnixSocketConnectionString(string socketDirectory = "/var/run/postgresql") =>
        $"Host={socketDirectory};Port={PgPort};Username=postgres;Database=postgres;Pooling=false;Timeout=1;Command Timeout=2";

    /// <summary>The agent's process id while it runs.</summary>
    public int? AgentPid => _agent is { HasExited: false } a ? a.Id : null;

    /// <summary>The agent's exit code once it has exited, or <see langword="null"/> while it runs (or never ran).</summary>
    public int? ExitCode => _agent is { HasExited: true } a ? a.ExitCode : null;

    /// <summary>Waits up to <paramref name="timeout"/> for the agent process to exit by itself; its exit code, or <see langword="null"/> if it still runs.</summary>
    public async Task<int?> WaitForExitAsync(TimeSpan timeout)
    {
        if (_agent is not { } agent)
            return null;
        try
        {
            await agent.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            return null;
        }

        _expectedRunning = false;
        return agent.ExitCode;
    }

    /// <summary>The agent exited although the test did not stop or kill it (a crash or a refused configuration).</summary>
    public bool ExitedUnexpectedly => _expectedRunning && _agent is { HasExited: true };

    private bool _expectedRunning;

    /// <summary>Starts the agent process (a second start after a kill reuses the data directory: a rejoin).</summary>
    public void Start()
    {
        var command = _launcher.Concat(["dotnet", _agentAssembly]).Concat(_arguments(this)).ToList();
        var start = new ProcessStartInfo(command[0]) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in command.Skip(1))
            start.ArgumentList.Add(argument);
        _log ??= new StreamWriter(LogFile, append: true) { AutoFlush = true };
        _log.WriteLine($"---- agent start {DateTime.UtcNow:O}");
        _agent = Process.Start(start)!;
        _expectedRunning = true;
        var log = _log;
        _agent.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        _agent.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine("ERR " + e.Data); };
        _agent.BeginOutputReadLine();
        _agent.BeginErrorReadLine();
    }

    /// <summary>Node loss: SIGKILL of the agent, its watchdog and every PostgreSQL process of this node, at once.</summary>
    public void KillNode()
    {
        KillAgent();
        KillPostmaster();
    }

    /// <summary>SIGKILL of the agent and its children (the watchdog), leaving PostgreSQL running.</summary>
    public void KillAgent()
    {
        _expectedRunning = false;
        if (_agent is { HasExited: false } agent)
        {
            agent.Kill(entireProcessTree: true);
            agent.WaitForExit(5000);
        }
    }

    /// <summary>SIGKILL of the postmaster and its backends (a crash), leaving the agent running.</summary>
    public void KillPostmaster()
    {
        if (PostmasterPid() is { } pid)
        {
            try
            {
                using var postmaster = Process.GetProcessById(pid);
                postmaster.Kill(entireProcessTree: true);
                postmaster.WaitForExit(5000);
            }
            catch (ArgumentException)
            {
            }
        }
    }

    /// <summary>SIGSTOP of the agent process only (its watchdog and PostgreSQL keep running).</summary>
    public void FreezeAgent() => Signal("STOP");

    /// <summary>SIGCONT of a frozen agent.</summary>
    public void ThawAgent() => Signal("CONT");

    /// <summary>A frozen host: SIGSTOP of the agent, its watchdog and every PostgreSQL process of this node.</summary>
    public void FreezeNode()
    {
        if (_agent is { HasExited: false } agent)
            Internal.Signals.StopTree(agent.Id);
        if (PostmasterPid() is { } postmaster)
            Internal.Signals.StopTree(postmaster);
    }

    /// <summary>SIGCONT of everything <see cref="FreezeNode"/> stopped.</summary>
    public void ThawNode()
    {
        if (PostmasterPid() is { } postmaster)
            Internal.Signals.ContinueTree(postmaster);
        if (_agent is { HasExited: false } agent)
            Internal.Signals.ContinueTree(agent.Id);
    }

    /// <summary>A clean stop (SIGTERM), as systemd would: a leader hands over first.</summary>
    public async Task StopAsync()
    {
        _expectedRunning = false;
        Signal("TERM");
        if (_agent is { } agent)
            await agent.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(40));
    }

    /// <summary>The running postmaster's pid (from postmaster.pid), or <see langword="null"/>.</summary>
    public int? PostmasterPid()
    {
        var file = Path.Combine(DataDirectory, "postmaster.pid");
        try
        {
            var first = File.Exists(file) ? File.ReadLines(file).FirstOrDefault() : null;
            return int.TryParse(first, CultureInfo.InvariantCulture, out var pid) && Directory.Exists($"/proc/{pid}") ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>GET on the REST API: status code and JSON body.</summary>
    public async Task<(int Code, JsonNode? Body)> GetAsync(string path)
    {
        try
        {
            using var response = await Http.GetAsync(new Uri(RestUrl, path));
            var text = await response.Content.ReadAsStringAsync();
            return ((int)response.StatusCode, text.Length > 0 && text[0] is '{' or '[' ? JsonNode.Parse(text) : JsonValue.Create(text));
        }
        catch (HttpRequestException)
        {
            return (0, null);
        }
    }

    /// <summary>POST a JSON body to the REST API: status code and text.</summary>
    public async Task<(int Code, string Text)> PostAsync(string path, object? body, string? token = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(RestUrl, path)) { Content = JsonContent.Create(body ?? new { }) };
        if (token is not null)
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        using var response = await Http.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>One value from this node, over a fresh connection.</summary>
    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Runs a statement on this node, over a fresh connection.</summary>
    public async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>The last lines of the agent's log, for failure messages.</summary>
    public string LogTail(int lines = 40)
    {
        lock (_log ?? new object())
        {
            try
            {
                using var stream = new FileStream(LogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                using var reader = new StreamReader(stream);
                var all = reader.ReadToEnd().Split('\n');
                return $"--- {Name} agent log ---\n" + string.Join('\n', all.TakeLast(lines));
            }
            catch (IOException)
            {
                return $"--- {Name}: no log ---";
            }
        }
    }

    /// <summary>Kills the agent and PostgreSQL (teardown).</summary>
    public void DisposeProcess()
    {
        if (_agent is { HasExited: false } agent)
        {
            Signal("CONT");
            agent.Kill(entireProcessTree: true);
        }

        KillPostmaster();
        _agent?.Dispose();
        _log?.Dispose();
    }

    private void Signal(string signal)
    {
        if (_agent is { HasExited: false } agent)
            Process.Start("kill", [$"-{signal}", agent.Id.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();
    }

    /// <inheritdoc/>
    public override string ToString() => Name;
}
