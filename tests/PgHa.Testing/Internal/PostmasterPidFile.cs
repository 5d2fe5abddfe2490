using System.Globalization;

namespace PgHa.Testing.Internal;

/// <summary>The <c>postmaster.pid</c> lock file a running (or crashed) server leaves in its data directory.</summary>
internal sealed record PostmasterPidFile(string Path, int Pid, SharedMemory? Segment)
{
    public static PostmasterPidFile? Read(string dataDirectory)
    {
        var path = System.IO.Path.Combine(dataDirectory, "postmaster.pid");
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        if (lines.Length == 0 || !int.TryParse(lines[0], CultureInfo.InvariantCulture, out var pid))
            return null;

        // Line 7 holds "<key> <id>" of the shared memory segment once the server has created it.
        SharedMemory? segment = null;
        var shm = lines.Length > 6 ? lines[6].Split(' ', StringSplitOptions.RemoveEmptyEntries) : [];
        if (shm.Length == 2
            && long.TryParse(shm[0], CultureInfo.InvariantCulture, out var key)
            && int.TryParse(shm[1], CultureInfo.InvariantCulture, out var id))
        {
            segment = new SharedMemory(key, id);
        }

        return new PostmasterPidFile(path, pid, segment);
    }

    /// <summary>Whether the pid names a live server process of <paramref name="dataDirectory"/> (not a reused pid).</summary>
    public bool IsLive(string dataDirectory) =>
        ProcessTree.IsAlive(Pid) && ProcessTree.ReadCommandLine(Pid).Contains(dataDirectory, StringComparison.Ordinal);

    /// <summary>
    /// Removes the lock file a killed server left behind, once the backends it orphaned have exited.
    /// </summary>
    /// <remarks>
    /// PostgreSQL removes a stale lock file itself, but only when the pid is gone: a killed postmaster stays a zombie
    /// until its (re)parent reaps it, and PID 1 in some containers does so late or never, so the start would fail with
    /// "lock file already exists". Orphaned backends still attached to the old shared memory would make it fail too.
    /// </remarks>
    public static async Task ClearStaleAsync(string dataDirectory, TimeSpan timeout, CancellationToken ct)
    {
        if (Read(dataDirectory) is not { } file || file.IsLive(dataDirectory))
            return;
        if (file.Segment is { } segment)
        {
            await Poll.UntilAsync(
                _ => Task.FromResult(segment.Attachments() is null or 0),
                timeout,
                () => $"the backends of killed postmaster {file.Pid} to exit (shared memory {segment.Id} still attached)",
                ct);
            segment.RemoveIfUnused();
        }

        File.Delete(file.Path);
    }
}
