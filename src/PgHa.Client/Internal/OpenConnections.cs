using System.Runtime.CompilerServices;
using Npgsql;

namespace PgHa.Client.Internal;

/// <summary>
/// The connections open on one node now, so that the watchdog can release them all at once, and when each physical
/// connection last went back to the pool, so that an open checks only the ones that sat idle long enough for the
/// server (or a NAT) to have closed them.
/// </summary>
internal sealed class OpenConnections(TimeProvider time)
{
    private readonly Dictionary<NpgsqlConnection, object?> _open = new(ReferenceEqualityComparer.Instance);
    private readonly Lock _gate = new();
    // Keyed by Npgsql's physical connector, which outlives each NpgsqlConnection that borrows it; weak, so a connector
    // the pool closes takes its entry with it.
    private readonly ConditionalWeakTable<object, StrongBox<long>> _returnedAt = new();

    public void Opened(NpgsqlConnection connection)
    {
        var connector = NpgsqlSockets.ConnectorOf(connection);
        lock (_gate)
            _open[connection] = connector;
    }

    public void Closed(NpgsqlConnection connection)
    {
        object? connector;
        lock (_gate)
            _open.Remove(connection, out connector);
        if (connector is null)
            return;
        var now = time.GetTimestamp();
        if (_returnedAt.TryGetValue(connector, out var returnedAt))
            Volatile.Write(ref returnedAt.Value, now);
        else
            _returnedAt.AddOrUpdate(connector, new StrongBox<long>(now));
    }

    public NpgsqlConnection[] Snapshot()
    {
        lock (_gate)
            return [.. _open.Keys];
    }

    /// <summary>How long the physical connection under <paramref name="connection"/> sat in the pool before this open; <see langword="null"/> for a new one.</summary>
    public TimeSpan? IdleBefore(NpgsqlConnection connection)
        => NpgsqlSockets.ConnectorOf(connection) is { } connector && _returnedAt.TryGetValue(connector, out var returnedAt)
            ? time.GetElapsedTime(Volatile.Read(ref returnedAt.Value))
            : null;
}
