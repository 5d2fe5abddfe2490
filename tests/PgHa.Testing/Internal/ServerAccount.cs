using System.Runtime.InteropServices;

namespace PgHa.Testing.Internal;

/// <summary>The OS account PostgreSQL runs as when the test runs as root, since PostgreSQL refuses to run as root.</summary>
internal sealed record ServerAccount(string Name, uint UserId, uint GroupId)
{
    private const string DefaultName = "postgres";

    /// <summary>The <c>postgres</c> account when this process is root; <see langword="null"/> otherwise (tools run as us).</summary>
    public static ServerAccount? ForCurrentProcess() => Environment.IsPrivilegedProcess ? Lookup(DefaultName) : null;

    public static ServerAccount Lookup(string name)
    {
        var entry = LibC.GetPwNam(name);
        if (entry == 0)
        {
            throw new PgHarnessException(
                $"Running as root, but there is no '{name}' OS user to run PostgreSQL as. Create it, or run the tests as a normal user.");
        }

        // struct passwd { char *pw_name; char *pw_passwd; uid_t pw_uid; gid_t pw_gid; ... }
        var uid = (uint)Marshal.ReadInt32(entry, 2 * IntPtr.Size);
        var gid = (uint)Marshal.ReadInt32(entry, (2 * IntPtr.Size) + sizeof(uint));
        return new ServerAccount(name, uid, gid);
    }

    public void Own(string path)
    {
        if (LibC.Chown(path, UserId, GroupId) != 0)
            throw new PgHarnessException($"Could not chown '{path}' to {Name}: errno {Marshal.GetLastPInvokeError()}.");
    }
}
