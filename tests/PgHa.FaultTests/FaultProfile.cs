using System.Globalization;
using PgHa.Client;

namespace PgHa.FaultTests;

/// <summary>
/// How long and how hard the suite runs, from the environment: <c>PGHA_FAULT_PROFILE</c> (<c>short</c>, the default:
/// every fault kind once in random order, about 2–3 min, with a freeze held past the client's <see cref="RetryBudget"/>;
/// <c>long</c>: random faults for 20 min, freezes and network cuts held up to a minute),
/// <c>PGHA_FAULT_SEED</c> (an integer; random when unset, and always reported so a run can be replayed),
/// <c>PGHA_FAULT_DURATION</c> (how long the long profile injects faults, e.g. <c>45m</c>),
/// <c>PGHA_FAULT_REPLICATION</c> (<c>sync</c>, the default, or <c>async</c>).
/// </summary>
internal sealed record FaultProfile(string Name, int Seed, TimeSpan Duration, bool EveryKindOnce, bool Synchronous, string? ReportPath)
{
    /// <summary>Concurrent writers; half of them write through a <c>PgHaSession</c> and read their write back.</summary>
    public int Writers => 4;

    /// <summary>Concurrent readers of the heartbeat table with the lag bound.</summary>
    public int Readers => 2;

    /// <summary>The client's <c>MaxReplicaLag</c>; reads may be this stale plus one <c>ProbeInterval</c> (the documented bound).</summary>
    public static TimeSpan MaxReplicaLag => TimeSpan.FromSeconds(2);

    /// <summary>
    /// The client's <c>RetryBudget</c>. The short profile lowers it from the default 30 s so that a freeze held past it
    /// fits in a CI run (work in flight on a frozen primary must be released, not wait out the budget), but keeps it
    /// above the longest the cluster goes without a primary in its other faults: an etcd pause held 9 s costs about
    /// 7.5 s (the leader demotes itself before its lease can run out), and a unit rightly gives up on a longer wait.
    /// </summary>
    public TimeSpan RetryBudget => EveryKindOnce ? TimeSpan.FromSeconds(10) : PgHaDefaults.RetryBudget;

    /// <summary>The short profile's freeze: 3 s past <see cref="RetryBudget"/>.</summary>
    public TimeSpan FreezePastBudget => RetryBudget + TimeSpan.FromSeconds(3);

    /// <summary>
    /// How long to hold a fault. The short profile holds past the 4 s lease, so every fault on the leader forces a
    /// failover, and its freeze past <see cref="RetryBudget"/>. The long one also holds shorter, where the leader
    /// should ride the fault out, and holds freezes and network cuts (the faults that keep sockets open) up to a
    /// minute, longer than every client and agent timeout that could hide a hang.
    /// </summary>
    public TimeSpan Hold(FaultKind kind, Random random) => (EveryKindOnce, kind) switch
    {
        (_, FaultKind.DeleteLeaderKey) => TimeSpan.Zero,
        (true, FaultKind.FreezeNode) => FreezePastBudget,
        (true, _) => TimeSpan.FromMilliseconds(random.Next(5_000, 9_000)),
        (false, FaultKind.FreezeNode or FaultKind.IsolateNode) => TimeSpan.FromMilliseconds(random.Next(1_000, 60_000)),
        (false, _) => TimeSpan.FromMilliseconds(random.Next(1_000, 10_000)),
    };

    public static FaultProfile FromEnvironment()
    {
        var name = Environment.GetEnvironmentVariable("PGHA_FAULT_PROFILE") is { Length: > 0 } p ? p.ToLowerInvariant() : "short";
        var seed = Environment.GetEnvironmentVariable("PGHA_FAULT_SEED") is { Length: > 0 } s
            ? int.TryParse(s, CultureInfo.InvariantCulture, out var parsed) ? parsed : throw new ArgumentException($"PGHA_FAULT_SEED must be an integer (was '{s}').")
            : Random.Shared.Next(1, 1_000_000);
        var replication = Environment.GetEnvironmentVariable("PGHA_FAULT_REPLICATION") is { Length: > 0 } r ? r.ToLowerInvariant() : "sync";
        if (replication is not ("sync" or "async"))
            throw new ArgumentException($"PGHA_FAULT_REPLICATION must be sync or async (was '{replication}').");
        var report = Environment.GetEnvironmentVariable("PGHA_FAULT_REPORT") is { Length: > 0 } path ? path : null;
        return name switch
        {
            "short" => new FaultProfile(name, seed, TimeSpan.FromMinutes(2.5), EveryKindOnce: true, replication == "sync", report),
            "long" => new FaultProfile(name, seed, ParseDuration("PGHA_FAULT_DURATION") ?? TimeSpan.FromMinutes(20), EveryKindOnce: false, replication == "sync", report),
            _ => throw new ArgumentException($"PGHA_FAULT_PROFILE must be short or long (was '{name}')."),
        };
    }

    private static TimeSpan? ParseDuration(string variable)
    {
        if (Environment.GetEnvironmentVariable(variable) is not { Length: > 0 } text)
            return null;
        var unit = text[^1];
        if (!double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value <= 0 || unit is not ('s' or 'm' or 'h'))
            throw new ArgumentException($"{variable} must be a positive number followed by s, m or h (was '{text}').");
        return unit switch { 's' => TimeSpan.FromSeconds(value), 'm' => TimeSpan.FromMinutes(value), _ => TimeSpan.FromHours(value) };
    }
}
