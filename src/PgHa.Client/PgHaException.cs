using PgHa.Client.Topology;

namespace PgHa.Client;

/// <summary>
/// Thrown when PgHa cannot serve a request: no node fits the requested role within the wait budget, or the
/// cluster is in a state that must not be routed to. The message names each node's state.
/// </summary>
public class PgHaException : Exception
{
    /// <summary>Creates an exception with a message.</summary>
    public PgHaException(string message) : base(message) { }

    /// <summary>Creates an exception with a message and the error that caused it.</summary>
    public PgHaException(string message, Exception? innerException) : base(message, innerException) { }

    /// <summary>Creates an exception that carries the topology it was raised against.</summary>
    public PgHaException(string message, ClusterTopology? topology, Exception? innerException = null)
        : base(message, innerException) => Topology = topology;

    /// <summary>The topology snapshot the request was routed against, when there was one.</summary>
    public ClusterTopology? Topology { get; }
}
