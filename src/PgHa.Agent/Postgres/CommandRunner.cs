using System.Diagnostics;
using System.Text;

namespace PgHa.Agent.Postgres;

/// <summary>
/// Runs PostgreSQL's command-line tools, as <paramref name="osUser"/> when the agent runs as root (PostgreSQL
/// refuses to run as root), within a time limit, and reports their output when they fail. No tool, and so no
/// postmaster started by <c>pg_ctl</c> nor any backend or <c>archive_command</c> it forks, inherits a password: the
/// agent's own <c>PGPASSWORD</c> and <c>PgHa__*</c> settings are taken out of their environment, and the tools that
/// need a password read it from the passfile their connection string names.
/// </summary>
internal sealed class CommandRunner(string binDirectory, string? osUser)
{
    /// <summary>The OS user the tools run as, or <see langword="null"/> for the agent's own.</summary>
    public string? OsUser { get; } = osUser;

    public string PathOf(string tool) => Path.Combine(binDirectory, tool);

    /// <summary>Runs the tool; throws <see cref="PostgresCommandException"/> if it fails or overruns.</summary>
    public async Task<string> RunAsync(string tool, IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken ct)
    {
        var (exitCode, output) = await TryRunAsync(tool, arguments, timeout, ct).ConfigureAwait(false);
        if (exitCode != 0)
            throw new PostgresCommandException($"{tool} {string.Join(' ', arguments)} failed with exit code {exitCode}: {output.Trim()}", exitCode);
        return output;
    }

    /// <summary>Runs the tool and returns its exit code and combined output.</summary>
    public async Task<(int ExitCode, string Output)> TryRunAsync(string tool, IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken ct)
    {
        var start = OsUser is null ? new ProcessStartInfo(PathOf(tool)) : new ProcessStartInfo("runuser");
        if (OsUser is not null)
        {
            foreach (var prefix in new[] { "-u", OsUser, "--", PathOf(tool) })
                start.ArgumentList.Add(prefix);
        }

        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        Scrub(start.Environment);
        start.UseShellExecute = false;
        start.RedirectStandardInput = true;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        // The postmaster started by pg_ctl inherits our pipes unless told otherwise; pg_ctl's -l sends its output to a file.
        using var process = Process.Start(start) ?? throw new PostgresCommandException($"Could not start {tool}.", -1);
        process.StandardInput.Close();
        var output = new StringBuilder();
        var stdout = PumpAsync(process.StandardOutput, output);
        var stderr = PumpAsync(process.StandardError, output);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            ct.ThrowIfCancellationRequested();
            throw new PostgresCommandException($"{tool} did not finish within {timeout.TotalSeconds:0.#} s and was killed. Output: {output}", -1);
        }

        await Task.WhenAll(stdout, stderr).WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(false);
        lock (output)
            return (process.ExitCode, output.ToString());
    }

    /// <summary>Removes what could carry a secret from a child's environment (the agent's settings may come from <c>PgHa__*</c> variables).</summary>
    internal static void Scrub(IDictionary<string, string?> environment)
    {
        foreach (var name in environment.Keys.ToList())
        {
            if (name.StartsWith("PgHa__", StringComparison.OrdinalIgnoreCase) || name.StartsWith("PgHa:", StringComparison.OrdinalIgnoreCase)
                || name is "PGPASSWORD" or "PGPASSFILE" or "PGSERVICEFILE")
                environment.Remove(name);
        }
    }

    private static async Task PumpAsync(StreamReader reader, StringBuilder output)
    {
        while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            lock (output)
                output.AppendLine(line);
        }
    }
}

/// <summary>A PostgreSQL tool failed.</summary>
internal sealed class PostgresCommandException(string message, int exitCode) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
