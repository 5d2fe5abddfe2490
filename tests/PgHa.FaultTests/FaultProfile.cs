using System.Globalization;

namespace PgHa.FaultTests;

/// <summary>
/// How long and how hard the suite runs, from the environment: <c>PGHA_FAULT_PROFILE</c> (<c>short</c>, the default:
/// every fault kind once in random order, about 2–3 min; <c>long</c>: random faults for 20 min),
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
