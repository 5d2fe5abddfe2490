namespace PgHa.Client.Resilience.Internal;

/// <summary>One row of the error table: what an error says about the node, and what to do with the work.</summary>
internal readonly record struct FailureClass(NodeFailureKind Node, RetryKind Retry)
{
    public static readonly FailureClass Unrelated = new(NodeFailureKind.None, RetryKind.Never);
}
