using System.Runtime.InteropServices;

namespace PgHa.Testing.Internal;

/// <summary>The few libc calls .NET has no managed API for.</summary>
internal static partial class LibC
{
    public const int IpcRmid = 0;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "chown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Chown(string path, uint owner, uint group);

    [LibraryImport("libc", EntryPoint = "getpwnam", StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint GetPwNam(string name);

    [LibraryImport("libc", EntryPoint = "shmctl", SetLastError = true)]
    public static partial int ShmCtl(int shmid, int command, nint buffer);
}
