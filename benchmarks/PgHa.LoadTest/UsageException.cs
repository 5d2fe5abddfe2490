namespace PgHa.LoadTest;

/// <summary>Bad command-line input or a missing prerequisite: printed without a stack trace, exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
