using System.Globalization;

namespace PgHa.Testing.Internal;

/// <summary>The System V shared memory segment a postmaster keeps, read from <c>/proc/sysvipc/shm</c>.</summary>
internal readonly record struct SharedMemory(long Key, int Id)
{
    /// <summary>How many processes are attached, or <see langword="null"/> when the segment no longer exists.</summary>
    public int? Attachments()
    {
        string[] rows;
        try
        {
            rows = File.ReadAllLines("/proc/sysvipc/shm");
        }
        catch (IOException)
        {
            return null;
        }

        foreach (var row in rows.Skip(1))
        {
            // key shmid perms size cpid lpid nattch ...
            var columns = row.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (columns.Length > 6
                && long.TryParse(columns[0], CultureInfo.InvariantCulture, out var key) && key == Key
                && int.TryParse(columns[1], CultureInfo.InvariantCulture, out var id) && id == Id)
            {
                return int.Parse(columns[6], CultureInfo.InvariantCulture);
            }
        }

        return null;
    }

    /// <summary>Removes the segment if it still exists and nobody is attached; a crashed postmaster leaves it behind.</summary>
    public void RemoveIfUnused()
    {
        if (Attachments() == 0)
            _ = LibC.ShmCtl(Id, LibC.IpcRmid, 0);
    }
}
