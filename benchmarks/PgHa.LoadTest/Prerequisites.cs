using System.Diagnostics;

namespace PgHa.LoadTest;

/// <summary>Finds the proxy executables and their versions, failing early with the command that installs them.</summary>
internal static class Prerequisites
{
    private static readonly string[] Directories = ["/usr/sbin", "/usr/local/sbin", "/usr/bin", "/usr/local/bin"];

    public static string Find(string executable, SystemKind needer)
    {
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(Directories)
            .Select(d => Path.Combine(d, executable))
            .FirstOrDefault(File.Exists);
        return path ?? throw new UsageException(
            $"{executable} not found; --systems {needer.Name()} needs it. Install it with 'apt-get install haproxy pgpool2' " +
            $"(or 'bash eng/install-prerequisites.sh'), or leave {needer.Name()} out of --systems.");
    }

    /// <summary>The first line the executable prints for <paramref name="argument"/> (its version banner).</summary>
    public static async Task<string> VersionAsync(string executable, string argument)
    {
        var start = new ProcessStartInfo(executable, argument) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not run {executable}.");
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "(unknown)";
    }
}
