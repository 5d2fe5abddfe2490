using Npgsql;
using PgHa.Client.Topology;

namespace PgHa.Client.Resilience.Internal;

/// <summary>
/// What a unit of work threw after the watchdog declared its node lost and released its connection. Transient like any
/// lost connection: the unit runs again on another node (nothing of it was committed: a COMMIT in flight takes the
/// in-doubt path instead).
/// </summary>
internal sealed class NodeReleasedException(NodeEndPoint node, Exception inner)
    : NpgsqlException($"{node} was declared lost by the watchdog while the unit of work ran on it, and its connection was released: {inner.Message}", inner)
{
    public override bool IsTransient => true;
}
