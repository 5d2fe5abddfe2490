namespace PgHa.Testing.Internal;

/// <summary>What a finished external command left behind.</summary>
internal sealed record CommandResult(string CommandLine, int ExitCode, string StandardOutput, string StandardError)
{
    public bool Succeeded => ExitCode == 0;
}
