namespace PgHa.LoadTest;

/// <summary>What the routing check saw through one system before the measurement.</summary>
internal sealed record RoutingCheck(SystemKind System, long[] ReadsByNode, long[] WritesByNode, bool? InRecoveryViaReadPath, long Errors, string Verdict, bool Ok);
