using System.Globalization;
using PgHa.Testing.Internal;

namespace PgHa.Testing;

/// <summary>
/// One network namespace per node, each joined by a veth pair to a bridge of its own on the host, so that a test can
/// cut one node off the network (both ways, packets dropped: a black hole, not a refusal) and heal it again. Nodes
/// reach each other and the host (etcd on <see cref="HostAddress"/>) over the bridge; the test process reaches the
/// nodes at <see cref="AddressOf"/>. Needs root and iproute2. Everything is named after this process id, removed on
/// dispose, and swept at the next start if the process died first.
/// </summary>
public sealed class NodeNetwork : IAsyncDisposable, IDisposable
{
    private const string Prefix = "pgha";
    private static readonly TimeSpan IpTimeout = TimeSpan.FromSeconds(10);
    private readonly Dictionary<string, int> _index;
    private readonly int _subnet;
    private int _disposed;

    private NodeNetwork(IReadOnlyList<string> nodes, int subnet)
    {
        _index = nodes.Select((n, i) => (n, i + 1)).ToDictionary(p => p.n, p => p.Item2);
        _subnet = subnet;
        ExitHooks.Register(this);
    }

    /// <summary>The host's address on the bridge (listen there for the nodes to reach you).</summary>
    public string HostAddress => Address(1);

    private static string Id => Environment.ProcessId.ToString(CultureInfo.InvariantCulture);

    private static string Bridge => $"pgb{Id}";

    /// <summary>Creates the bridge and one namespace per node.</summary>
    /// <exception cref="PgHarnessException">Not root, iproute2 missing, or a command failed.</exception>
    public static async Task<NodeNetwork> CreateAsync(IReadOnlyList<string> nodes, CancellationToken ct = default)
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
            throw new PgHarnessException("Network namespaces need root on Linux.");
        if (nodes.Count is < 1 or > 200)
            throw new ArgumentOutOfRangeException(nameof(nodes), nodes.Count, "1 to 200 nodes.");
        await SweepAsync(ct);
        var taken = (await IpAsync(["-4", "-o", "addr"], ct)).StandardOutput;
        var subnet = Enumerable.Range(0, 200).Select(i => 20 + (Environment.ProcessId + i) % 200).First(s => !taken.Contains($" 10.213.{s}.", StringComparison.Ordinal));
        var network = new NodeNetwork(nodes, subnet);
        try
        {
            await IpAsync(["link", "add", Bridge, "type", "bridge"], ct);
            await IpAsync(["addr", "add", $"{network.HostAddress}/24", "dev", Bridge], ct);
            await IpAsync(["link", "set", Bridge, "up"], ct);
            foreach (var (node, i) in network._index)
            {
                var ns = Namespace(node);
                await IpAsync(["netns", "add", ns], ct);
                await IpAsync(["link", "add", HostSide(i), "type", "veth", "peer", "name", NodeSide(i)], ct);
                await IpAsync(["link", "set", NodeSide(i), "netns", ns], ct);
                await IpAsync(["link", "set", HostSide(i), "master", Bridge, "up"], ct);
                await IpAsync(["-n", ns, "addr", "add", $"{network.AddressOf(node)}/24", "dev", NodeSide(i)], ct);
                await IpAsync(["-n", ns, "link", "set", NodeSide(i), "up"], ct);
                await IpAsync(["-n", ns, "link", "set", "lo", "up"], ct);
            }

            return network;
        }
        catch
        {
            await network.DisposeAsync();
            throw;
        }
    }

    /// <summary>The node's address inside its namespace.</summary>
    public string AddressOf(string node) => Address(10 + Index(node));

    /// <summary>A command prefix that runs what follows inside the node's namespace (<c>ip netns exec</c> execs it: same pid).</summary>
    public IReadOnlyList<string> LauncherFor(string node) => ["ip", "netns", "exec", Namespace(node)];

    /// <summary>Cuts the node off: its link to the bridge goes down, so every packet to or from it is dropped.</summary>
    public Task CutAsync(string node, CancellationToken ct = default) => IpAsync(["link", "set", HostSide(Index(node)), "down"], ct);

    /// <summary>Brings the node's link back.</summary>
    public Task HealAsync(string node, CancellationToken ct = default) => IpAsync(["link", "set", HostSide(Index(node)), "up"], ct);

    /// <summary>Removes the namespaces and the bridge (stop what runs inside first).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await RemoveAsync(Id, CancellationToken.None);
        ExitHooks.Unregister(this);
    }

    /// <summary>Synchronous <see cref="DisposeAsync"/>.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private int Index(string node) =>
        _index.TryGetValue(node, out var i) ? i : throw new ArgumentException($"'{node}' is not a node of this network.", nameof(node));

    private string Address(int host) => string.Create(CultureInfo.InvariantCulture, $"10.213.{_subnet}.{host}");

    private static string Namespace(string node) => $"{Prefix}{Id}-{node}";

    private static string HostSide(int i) => string.Create(CultureInfo.InvariantCulture, $"pgh{Id}x{i}");

    private static string NodeSide(int i) => string.Create(CultureInfo.InvariantCulture, $"pgn{Id}x{i}");

    /// <summary>Removes what a process that died without disposing left behind.</summary>
    private static async Task SweepAsync(CancellationToken ct)
    {
        var links = (await IpAsync(["-o", "link", "show", "type", "bridge"], ct)).StandardOutput;
        foreach (var line in links.Split('\n'))
        {
            var name = line.Split(':', 3) is { Length: 3 } parts ? parts[1].Trim() : "";
            if (name.StartsWith("pgb", StringComparison.Ordinal) && int.TryParse(name[3..], CultureInfo.InvariantCulture, out var owner) && !ProcessTree.IsAlive(owner))
                await RemoveAsync(owner.ToString(CultureInfo.InvariantCulture), ct);
        }
    }

    private static async Task RemoveAsync(string owner, CancellationToken ct)
    {
        // Deleting a namespace deletes its end of each veth pair, and with it the host end.
        var namespaces = (await IpAsync(["netns", "list"], ct, check: false)).StandardOutput;
        foreach (var ns in namespaces.Split('\n').Select(l => l.Split(' ')[0]).Where(n => n.StartsWith($"{Prefix}{owner}-", StringComparison.Ordinal)))
            await IpAsync(["netns", "delete", ns], ct, check: false);
        await IpAsync(["link", "delete", $"pgb{owner}"], ct, check: false);
    }

    private static async Task<CommandResult> IpAsync(IReadOnlyList<string> arguments, CancellationToken ct, bool check = true)
    {
        var result = await ProcessRunner.RunAsync("ip", arguments, IpTimeout, ct);
        if (check && !result.Succeeded)
            throw new PgHarnessException($"'{result.CommandLine}' failed ({result.ExitCode}): {result.StandardError.Trim()}") { CommandLine = result.CommandLine };
        return result;
    }
}
