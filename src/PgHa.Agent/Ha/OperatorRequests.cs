namespace PgHa.Agent.Ha;

/// <summary>What the REST API asks the HA loop to do on this node (the loop owns the server; the API never touches it).</summary>
internal enum OperatorRequestKind
{
    /// <summary>Restart PostgreSQL in place (fast stop, start).</summary>
    Restart,

    /// <summary>Throw the replica's data away and clone the leader again.</summary>
    Reinitialize,
}

/// <summary>The loop's answer to a request: the HTTP code the API returns (Patroni's: 200 done, 503 refused or failed) and its message.</summary>
internal sealed record OperatorAnswer(int Code, string Message)
{
    public static OperatorAnswer Done(string message) => new(200, message);

    public static OperatorAnswer Refused(string message) => new(503, message);
}

/// <summary>A queue of one pending request per kind, drained at the start of each HA cycle.</summary>
internal sealed class OperatorRequests
{
    private readonly Lock _gate = new();
    private readonly Dictionary<OperatorRequestKind, TaskCompletionSource<OperatorAnswer>> _pending = [];

    /// <summary>Queues the request; the task completes with the loop's answer. <see langword="null"/> if one of that kind is already pending.</summary>
    public Task<OperatorAnswer>? TryEnqueue(OperatorRequestKind kind)
    {
        lock (_gate)
        {
            if (_pending.ContainsKey(kind))
                return null;
            var completion = new TaskCompletionSource<OperatorAnswer>(TaskCreationOptions.RunContinuationsAsynchronously);
            _pending[kind] = completion;
            return completion.Task;
        }
    }

    public bool TryTake(out OperatorRequestKind kind, out TaskCompletionSource<OperatorAnswer> completion)
    {
        lock (_gate)
        {
            foreach (var (k, c) in _pending)
            {
                _pending.Remove(k);
                (kind, completion) = (k, c);
                return true;
            }
        }

        (kind, completion) = (default, null!);
        return false;
    }
}
