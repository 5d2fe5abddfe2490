using PgHa.Testing.Internal;

namespace PgHa.Testing;

/// <summary>A harness operation failed: a PostgreSQL tool exited with an error, or a wait timed out.</summary>
public sealed class PgHarnessException : Exception
{
    /// <summary>Initializes a new instance with a default message.</summary>
    public PgHarnessException()
    {
    }

    /// <summary>Initializes a new instance with a message.</summary>
    /// <param name="message">What failed.</param>
    public PgHarnessException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance with a message and the exception that caused it.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="innerException">The cause, if any.</param>
    public PgHarnessException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Gets the command line that failed, when a command failed.</summary>
    public string? CommandLine { get; init; }

    /// <summary>Gets the command's exit code, when a command failed.</summary>
    public int? ExitCode { get; init; }

    /// <summary>Gets the command's standard error, when a command failed.</summary>
    public string? StandardError { get; init; }

    /// <summary>Gets the last lines of the node's server log, when a node was involved.</summary>
    public string? LogTail { get; init; }

    internal static PgHarnessException ForCommand(CommandResult result, string? logTail)
    {
        var message = $"'{result.CommandLine}' exited with code {result.ExitCode}."
            + Section("stderr", result.StandardError)
            + Section("stdout", string.IsNullOrWhiteSpace(result.StandardError) ? result.StandardOutput : null)
            + Section("server log (tail)", logTail);
        return new PgHarnessException(message)
        {
            CommandLine = result.CommandLine,
            ExitCode = result.ExitCode,
            StandardError = result.StandardError,
            LogTail = logTail,
        };
    }

    internal static string Section(string title, string? text) =>
        string.IsNullOrWhiteSpace(text) ? "" : $"{Environment.NewLine}--- {title} ---{Environment.NewLine}{text.TrimEnd()}";
}
