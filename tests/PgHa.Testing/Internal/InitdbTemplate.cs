using System.Collections.Concurrent;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text;

namespace PgHa.Testing.Internal;

/// <summary>
/// Runs initdb once per process and set of initdb arguments, then copies the result for every cluster:
/// initdb takes most of a cluster's start time, a copy a fraction of it.
/// </summary>
[SupportedOSPlatform("linux")]
internal static class InitdbTemplate
{
    private static readonly ConcurrentDictionary<string, Lazy<Task<string>>> Templates = new();
    private static readonly ConcurrentBag<(string Root, Reaper Reaper)> Made = [];

    /// <summary>Creates <paramref name="dataDirectory"/> as <c>initdb -D dataDirectory arguments</c> would.</summary>
    public static async Task CreateAsync(
        string dataDirectory, IReadOnlyList<string> arguments, string? password, PostgresTools tools, TimeSpan timeout, CancellationToken ct)
    {
        var key = Key(tools.Binaries.Directory, arguments, password);
        var template = Templates.GetOrAdd(key, _ => new Lazy<Task<string>>(() => BuildAsync(key, arguments, password, tools, timeout)));
        string templateData;
        try
        {
            // Built without the caller's token: other clusters may be waiting for the same template.
            templateData = await template.Value.WaitAsync(ct);
        }
        catch (Exception) when (template.Value.IsFaulted)
        {
            Templates.TryRemove(KeyValuePair.Create(key, template));
            throw;
        }

        // -a keeps the 0700 modes and the postgres ownership PostgreSQL insists on.
        var copy = await ProcessRunner.RunAsync("cp", ["-a", templateData, dataDirectory], timeout, ct);
        if (!copy.Succeeded)
            throw PgHarnessException.ForCommand(copy, null);
    }

    /// <summary>Deletes every template this process made; called at process exit.</summary>
    public static void DeleteAll()
    {
        foreach (var (root, _) in Made)
        {
            try
            {
                ClusterDirectory.Delete(root);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Its reaper removes it once this process is gone.
            }
        }
    }

    private static async Task<string> BuildAsync(
        string key, IReadOnlyList<string> arguments, string? password, PostgresTools tools, TimeSpan timeout)
    {
        var root = ClusterDirectory.Create(requested: null, name: $"initdb-{key[..12]}");
        // The exit hook may be cut short (test runners kill their hosts); the reaper is not.
        Made.Add((root, Reaper.Start(Environment.ProcessId, root, tools)));
        var nodeDirectory = Path.Combine(root, "template");
        Directory.CreateDirectory(nodeDirectory);
        tools.Own(nodeDirectory);
        var dataDirectory = Path.Combine(nodeDirectory, "data");

        List<string> initdb = ["-D", dataDirectory, .. arguments];
        var passwordFile = Path.Combine(nodeDirectory, "initdb.pw");
        if (password is not null)
        {
            File.WriteAllText(passwordFile, password);
            File.SetUnixFileMode(passwordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            tools.Own(passwordFile);
            initdb.Add($"--pwfile={passwordFile}");
        }

        try
        {
            await tools.RunAsync("initdb", initdb, timeout, CancellationToken.None);
        }
        finally
        {
            File.Delete(passwordFile);
        }

        return dataDirectory;
    }

    private static string Key(string binDirectory, IEnumerable<string> arguments, string? password)
    {
        var text = string.Join('\0', arguments.Prepend(binDirectory).Append(password ?? "\u0001none"));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }
}
