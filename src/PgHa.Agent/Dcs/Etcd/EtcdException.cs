namespace PgHa.Agent.Dcs.Etcd;

/// <summary>etcd answered with an error (<see cref="Code"/> is the gRPC status code), or no member answered.</summary>
internal sealed class EtcdException(string message, int? code = null, Exception? innerException = null) : Exception(message, innerException)
{
    /// <summary>gRPC code: 5 not found (e.g. an expired lease), 9 failed precondition, 14 unavailable; null when no member answered.</summary>
    public int? Code { get; } = code;

    /// <summary>No member could be reached (as opposed to a member refusing the request).</summary>
    public bool IsUnavailable => Code is null or 14;
}
