using System.Runtime.Versioning;
using PgHa.Testing.Internal;

namespace PgHa.Testing;

/// <summary>
/// A real etcd cluster (the <c>etcd</c> binary, e.g. Debian's <c>etcd-server</c>) on loopback, torn down on dispose,
/// on process exit, and by a reaper process if the test host is killed, like <see cref="PgCluster"/>.
/// </summary>
public sealed class EtcdCluster : IAsyncDisposable, IDisposable
{
    private readonly Reaper? _reaper;
    private int _disposed;

    private EtcdCluster(string root, IReadOnlyList<EtcdMember> members, Reaper? reaper)
    {
        RootDirectory = root;
        Members = members;
        _reaper = reaper;
    }

    /// <summary>The directory holding every member's data and log.</summary>
    public string RootDirectory { get; }

    /// <summary>The members, <c>etcd1</c> first.</summary>
    public IReadOnlyList<EtcdMember> Members { get; }

    /// <summary>Every member's client URL, for a client's endpoint list.</summary>
    public IReadOnlyList<string> Endpoints => Members.Select(m => m.ClientUrl).ToList();

    /// <summary>Starts the members and returns once each answers <c>/health</c>.</summary>
    /// <exception cref="PgHarnessException">etcd is missing or did not come up in time.</exception>
    public static async Task<EtcdCluster> StartAsync(EtcdClusterOptions? options = null, CancellationToken ct = default)
    {
        options ??= new EtcdClusterOptions();
        options.Validate();
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException("PgHa.Testing needs Linux (/proc, POSIX signals).");
        var etcd = FindEtcd(options.EtcdPath);
        var root = ClusterDirectory.Create(null, "etcd-" + Guid.NewGuid().ToString("N")[..8]);
        var ports = Enumerable.Range(1, options.Members).Select(i => (Name: $"etcd{i}", Client: FreePort.Next(), Peer: FreePort.Next())).ToList();
        var initialCluster = string.Join(",", ports.Select(p => $"{p.Name}={EtcdMember.Url(options.ListenAddress, p.Peer)}"));
        var members = ports.Select(p =>
        {
            var directory = Path.Combine(root, p.Name);
            Directory.CreateDirectory(directory);
            return new EtcdMember(p.Name, directory, etcd, initialCluster, options.ListenAddress, p.Client, p.Peer, options.StartTimeout);
        }).ToList();
        var cluster = new EtcdCluster(root, members, Reaper.Start(Environment.ProcessId, root, tools: null));
        ExitHooks.Register(cluster);
        try
        {
            // Members of a new cluster wait for each other: start them together.
            await Task.WhenAll(members.Select(m => m.StartAsync(ct)));
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Kills every member and deletes <see cref="RootDirectory"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        foreach (var member in Members)
            member.Kill();
        var gone = await ClusterTeardown.RunAsync(RootDirectory, tools: null, _reaper?.ProcessId);
        ExitHooks.Unregister(this);
        if (gone)
            _reaper?.Dispose();
    }

    /// <summary>Tears the cluster down synchronously; see <see cref="DisposeAsync"/>.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private static string FindEtcd(string? configured)
    {
        var candidate = configured ?? Environment.GetEnvironmentVariable("PGHA_ETCD_BIN");
        if (candidate is not null)
            return File.Exists(candidate) ? candidate : throw new PgHarnessException($"etcd not found at '{candidate}'.");
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(':'))
        {
            var path = Path.Combine(directory, "etcd");
            if (File.Exists(path))
                return path;
        }

        throw new PgHarnessException("etcd not found. Install it (Debian/Ubuntu: apt-get install etcd-server) or set PGHA_ETCD_BIN.");
    }
}
