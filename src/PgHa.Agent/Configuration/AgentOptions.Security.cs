namespace PgHa.Agent.Configuration;

/// <summary>The database roles the agent and its tools use, and how local connections authenticate.</summary>
internal sealed partial class AgentOptions
{
    /// <summary>
    /// The role replicas stream as, created at bootstrap with <c>REPLICATION LOGIN</c> (<c>authentication.replication.username</c>).
    /// Its password reaches <c>pg_basebackup</c> and the WAL receiver through a passfile, never an environment variable.
    /// </summary>
    /// <value>Default: <see langword="null"/> (the superuser).</value>
    public string? ReplicationUser { get; set; }

    /// <summary>The replication role's password (<c>authentication.replication.password</c>); required with <see cref="ReplicationUser"/> when <see cref="SuperuserPassword"/> is set.</summary>
    /// <value>Default: <see langword="null"/>.</value>
    public string? ReplicationPassword { get; set; }

    /// <summary>
    /// The role <c>pg_rewind</c> connects to the new leader as, created at bootstrap with only the grants pg_rewind needs
    /// (<c>authentication.rewind.username</c>).
    /// </summary>
    /// <value>Default: <see langword="null"/> (the superuser).</value>
    public string? RewindUser { get; set; }

    /// <summary>The rewind role's password (<c>authentication.rewind.password</c>); required with <see cref="RewindUser"/> when <see cref="SuperuserPassword"/> is set.</summary>
    /// <value>Default: <see langword="null"/>.</value>
    public string? RewindPassword { get; set; }

    /// <summary>
    /// How connections over the Unix socket authenticate, written to <c>pg_hba.conf</c> by <c>initdb --auth-local</c>:
    /// <c>peer</c>, <c>trust</c>, <c>scram-sha-256</c> or <c>md5</c> (Patroni leaves this to <c>postgresql.pg_hba</c>).
    /// The agent itself connects over TCP, so it never needs <c>trust</c>.
    /// </summary>
    /// <value>Default: <c>peer</c> (only the OS user of the same name logs in).</value>
    public string LocalAuthentication { get; set; } = "peer";

    /// <summary>The role replicas stream as: <see cref="ReplicationUser"/>, else the superuser.</summary>
    internal string EffectiveReplicationUser => ReplicationUser ?? Superuser;

    /// <summary>That role's password.</summary>
    internal string? EffectiveReplicationPassword => ReplicationUser is null || ReplicationUser == Superuser ? SuperuserPassword : ReplicationPassword;

    /// <summary>The role pg_rewind connects as: <see cref="RewindUser"/>, else the superuser.</summary>
    internal string EffectiveRewindUser => RewindUser ?? Superuser;

    /// <summary>That role's password.</summary>
    internal string? EffectiveRewindPassword => RewindUser is null || RewindUser == Superuser ? SuperuserPassword : RewindPassword;
}
