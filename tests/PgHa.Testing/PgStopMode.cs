namespace PgHa.Testing;

/// <summary>How <see cref="PgNode.StopAsync"/> shuts a node down; the values map to <c>pg_ctl stop -m</c>.</summary>
public enum PgStopMode
{
    /// <summary>Waits for every client to disconnect (<c>-m smart</c>).</summary>
    Smart,

    /// <summary>Disconnects clients, rolls back open transactions and checkpoints (<c>-m fast</c>).</summary>
    Fast,

    /// <summary>Quits at once without a checkpoint; the next start runs crash recovery (<c>-m immediate</c>).</summary>
    Immediate,
}
