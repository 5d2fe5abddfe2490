using System.Globalization;
using System.Runtime.Versioning;

namespace PgHa.Testing.Internal;

/// <summary>A cluster's root directory and the owner file that tells a later run whether it was abandoned.</summary>
internal static class ClusterDirectory
{
    public const string OwnerFileName = "owner.pid";

    private const UnixFileMode Traversable =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    // A directory that never got its owner file (a run killed within its first milliseconds) is left alone this long.
    private static readonly TimeSpan OwnerlessGrace = TimeSpan.FromMinutes(10);

    public static string BasePath { get; } = Path.Combine(Path.GetTempPath(), "pgha-clusters");

    [SupportedOSPlatform("linux")]
    public static string Create(string? requested, string? name = null)
    {
        string root;
        if (requested is null)
        {
            EnsureBase();
            root = Path.Combine(BasePath, $"{Environment.ProcessId}-{name ?? Guid.NewGuid().ToString("N")[..8]}");
        }
        else
        {
            root = Path.GetFullPath(requested);
            if (Directory.Exists(root) && Directory.EnumerateFileSystemEntries(root).Any())
                throw new PgHarnessException($"RootDirectory '{root}' must not exist or be empty.");
        }

        Directory.CreateDirectory(root);
        // As root, PostgreSQL runs as another user that must be able to reach its node directories.
        File.SetUnixFileMode(root, Traversable);
        var self = ProcessTree.ReadStat(Environment.ProcessId);
        File.WriteAllText(Path.Combine(root, OwnerFileName), $"{Environment.ProcessId} {self?.StartTime ?? 0}\n");
        return root;
    }

    /// <summary>Whether the process that created <paramref name="root"/> has exited (a pid reused since does not count).</summary>
    public static bool IsAbandoned(string root)
    {
        string text;
        try
        {
            text = File.ReadAllText(Path.Combine(root, OwnerFileName));
        }
        catch (FileNotFoundException)
        {
            // Not yet written, or already deleted by an interrupted teardown; the name starts with the owner's pid.
            var namedPid = Path.GetFileName(root).Split('-')[0];
            return (int.TryParse(namedPid, CultureInfo.InvariantCulture, out var owner) && !ProcessTree.IsAlive(owner))
                || DateTime.UtcNow - Directory.GetLastWriteTimeUtc(root) > OwnerlessGrace;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }

        var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length != 2
            || !int.TryParse(parts[0], CultureInfo.InvariantCulture, out var pid)
            || !ulong.TryParse(parts[1], CultureInfo.InvariantCulture, out var startTime))
        {
            return false;
        }

        return ProcessTree.ReadStat(pid) is not { State: not ('Z' or 'X') } stat || stat.StartTime != startTime;
    }

    /// <summary>Deletes a root, its owner file last, so that an interrupted delete still looks abandoned to a later sweep.</summary>
    public static void Delete(string root)
    {
        if (!Directory.Exists(root))
            return;
        foreach (var directory in Directory.EnumerateDirectories(root))
            Directory.Delete(directory, recursive: true);
        Directory.Delete(root, recursive: true);
    }

    [SupportedOSPlatform("linux")]
    private static void EnsureBase()
    {
        if (Directory.Exists(BasePath))
            return;
        Directory.CreateDirectory(BasePath);
        try
        {
            // Shared by every user's test runs, like /tmp itself.
            File.SetUnixFileMode(BasePath, Traversable | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite | UnixFileMode.StickyBit);
        }
        catch (UnauthorizedAccessException)
        {
            // Created by someone else in the meantime.
        }
    }
}
