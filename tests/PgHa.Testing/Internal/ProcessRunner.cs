using System.ComponentModel;
using System.Diagnostics;

namespace PgHa.Testing.Internal;

/// <summary>Runs an external command to completion, capturing its output, within a time limit.</summary>
internal static class ProcessRunner
{
    // A grandchild that inherited our pipes could hold them open after the command exits; do not wait forever.
    private static readonly TimeSpan OutputDrainLimit = TimeSpan.FromSeconds(5);

    public static async Task<CommandResult> RunAsync(
        string fileName,
        IReadOnlyList<string> arguments,
        TimeSpan timeout,
        CancellationToken ct,
        IReadOnlyDictionary<string, string?>? environment = null,
        string? workingDirectory = null)
    {
        var commandLine = Format(fileName, arguments);
        using var process = new Process { StartInfo = CreateStartInfo(fileName, arguments, environment, workingDirectory) };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            throw new PgHarnessException($"Could not start '{commandLine}': {e.Message}", e) { CommandLine = commandLine };
        }

        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            KillQuietly(process);
            ct.ThrowIfCancellationRequested();
            throw new PgHarnessException($"'{commandLine}' did not finish within {timeout.TotalSeconds:0.#} s and was killed.")
            {
                CommandLine = commandLine,
            };
        }

        try
        {
            await Task.WhenAll(stdout, stderr).WaitAsync(OutputDrainLimit, ct);
        }
        catch (TimeoutException)
        {
            // Keep whatever was read; the exit code is what matters.
        }

        return new CommandResult(commandLine, process.ExitCode, Completed(stdout), Completed(stderr));
    }

    public static string Format(string fileName, IEnumerable<string> arguments) =>
        string.Join(' ', arguments.Prepend(fileName).Select(Quote));

    private static ProcessStartInfo CreateStartInfo(
        string fileName,
        IReadOnlyList<string> arguments,
        IReadOnlyDictionary<string, string?>? environment,
        string? workingDirectory)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? "",
        };
        foreach (var argument in arguments)
            startInfo.ArgumentList.Add(argument);
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
                startInfo.Environment.Remove(name);
            else
                startInfo.Environment[name] = value;
        }

        return startInfo;
    }

    private static string Completed(Task<string> read) => read.IsCompletedSuccessfully ? read.Result : "";

    private static void KillQuietly(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }

    private static string Quote(string argument) =>
        argument.Length > 0 && !argument.Any(c => char.IsWhiteSpace(c) || c is '\'' or '"' or '\\' or '$')
            ? argument
            : "'" + argument.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
