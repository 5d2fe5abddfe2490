using System.ComponentModel;
using System.Diagnostics;

namespace PgHa.Testing.Internal;

/// <summary>
/// A detached shell that tears the cluster down if the test process dies without disposing it, even by SIGKILL.
/// It exits by itself once the owner file disappears (a normal dispose deletes the whole root).
/// </summary>
internal sealed class Reaper : IDisposable
{
    // Arguments: $1 owner pid, $2 cluster root, $3 pg_ctl path, $4 OS user to run pg_ctl as ("" for ourselves).
    private const string Script = """
        exec </dev/null >/dev/null 2>&1
        owner=$1 root=$2 pg_ctl=$3 run_as=$4
        marker=$root/owner.pid
        alive() { local s; s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1; s=${s##*) }; [ "${s%% *}" != Z ]; }
        while [ -e "$marker" ] && alive "$owner"; do sleep 1; done
        [ -e "$marker" ] || exit 0
        for data in "$root"/*/data; do
          [ -f "$data/postmaster.pid" ] || continue
          read -r pm < "$data/postmaster.pid"
          for s in /proc/[0-9]*/stat; do
            read -r pid _ _ ppid _ < "$s" 2>/dev/null && [ "$ppid" = "$pm" ] && kill -CONT "$pid"
          done
          kill -CONT "$pm"
          if [ -n "$run_as" ]; then runuser -u "$run_as" -- "$pg_ctl" stop -D "$data" -m immediate -w -t 10
          else "$pg_ctl" stop -D "$data" -m immediate -w -t 10; fi
        done
        for p in /proc/[0-9]*; do
          pid=${p#/proc/}
          [ "$pid" = "$$" ] && continue
          cmd=$(tr '\0' ' ' < "$p/cmdline" 2>/dev/null) || continue
          case $cmd in *"$root/"*) kill -CONT "$pid"; kill -KILL "$pid";; esac
        done
        for data in "$root"/*/data; do
          [ -f "$data/postmaster.pid" ] || continue
          set -- $(sed -n 7p "$data/postmaster.pid")
          [ $# = 2 ] && awk -v k="$1" -v i="$2" '$1 == k && $2 == i && $7 == 0 { f = 1 } END { exit !f }' /proc/sysvipc/shm \
            && ipcrm -m "$2"
        done
        rm -rf "$root"
        """;

    private readonly Process _process;

    private Reaper(Process process) => _process = process;

    public int ProcessId => _process.Id;

    // tools: for stopping PostgreSQL servers; null for a root without any (etcd's).
    public static Reaper Start(int ownerPid, string root, PostgresTools? tools)
    {
        string[] arguments =
        [
            "bash", "-c", Script, "pgha-reaper",
            ownerPid.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Path.TrimEndingDirectorySeparator(root),
            tools?.Binaries.PathOf("pg_ctl") ?? "",
            tools?.Account?.Name ?? "",
        ];
        try
        {
            // Its own session, so a Ctrl+C aimed at the test run's process group does not take the reaper with it.
            return new Reaper(Launch("setsid", arguments));
        }
        catch (Win32Exception)
        {
            return new Reaper(Launch(arguments[0], arguments[1..]));
        }
    }

    /// <summary>Ends the reaper; call once the cluster is gone.</summary>
    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
                Signals.Send(_process.Id, Signals.Term);
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped.
        }

        _process.Dispose();
    }

    private static Process Launch(string fileName, IEnumerable<string> arguments)
    {
        // Redirected so that the reaper does not hold the test host's own stdout; the script detaches at once anyway.
        var startInfo = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
            startInfo.ArgumentList.Add(argument);
        return Process.Start(startInfo) ?? throw new PgHarnessException($"Could not start the cluster reaper ({fileName}).");
    }
}
