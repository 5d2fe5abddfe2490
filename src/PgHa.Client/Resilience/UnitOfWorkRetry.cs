using PgHa.Client.Topology;

namespace PgHa.Client.Resilience;

/// <summary>Passed to <see cref="UnitOfWorkOptions.OnRetry"/> before a unit of work runs again.</summary>
public sealed class UnitOfWorkRetry
{
    internal UnitOfWorkRetry(int attemptNumber, RetryReason reason, Exception exception, NodeEndPoint? node, TimeSpan remainingBudget)
    {
        AttemptNumber = attemptNumber;
        Reason = reason;
        Exception = exception;
        Node = node;
        RemainingBudget = remainingBudget;
    }

    /// <summary>The number of the attempt about to run: 2 for the first retry.</summary>
    public int AttemptNumber { get; }

    /// <summary>Why the previous attempt is being run again.</summary>
    public RetryReason Reason { get; }

    /// <summary>What ended the previous attempt.</summary>
    public Exception Exception { get; }

    /// <summary>The node the previous attempt ran on, when it got that far.</summary>
    public NodeEndPoint? Node { get; }

    /// <summary>What is left of the retry budget.</summary>
    public TimeSpan RemainingBudget { get; }
}
