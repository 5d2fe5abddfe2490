namespace PgHa.Agent.Configuration;

/// <summary>
/// One agent's settings (section <c>PgHa:Agent</c>; Patroni's names in the comments). Times follow one rule, as in
/// Patroni: <c>LoopWait + 2 × RetryTimeout ≤ Ttl</c>, so a leader that cannot renew learns it before its lease can
/// expire and another node can be promoted.
/// </summary>
internal sealed partial class AgentOptions
{
    /// <summary>This member's name, unique in the cluster (<c>name</c>).</summary>
    public string Name { get; set; } = "";

    /// <summary>The cluster's name (<c>scope</c>).</summary>
    public string Scope { get; set; } = "";

    /// <summary>The DCS prefix above the scope (<c>namespace</c>).</summary>
    /// <value>Default: <c>service</c>, as Patroni.</value>
    public string Namespace { get; set; } = "service";

    /// <summary>PostgreSQL's data directory.</summary>
    public string DataDirectory { get; set; } = "";

    /// <summary>Where <c>initdb</c>, <c>pg_ctl</c>, <c>pg_basebackup</c> and <c>pg_rewind</c> are.</summary>
    /// <value>Default: <c>/usr/lib/postgresql/15/bin</c>.</value>
    public string BinDirectory { get; set; } = "/usr/lib/postgresql/15/bin";

    /// <summary>The OS user PostgreSQL's tools and server run as when the agent runs as root.</summary>
    /// <value>Default: <see langword="null"/> (the agent's own user; <c>postgres</c> when the agent is root).</value>
    public string? OsUser { get; set; }

    /// <summary>The database superuser the agent connects as, also used for replication and pg_rewind (<c>authentication.superuser</c>).</summary>
    /// <value>Default: <c>postgres</c>.</value>
    public string Superuser { get; set; } = "postgres";

    /// <summary>Its password; <see langword="null"/> for trust authentication (test clusters on loopback only).</summary>
    public string? SuperuserPassword { get; set; }

    /// <summary>The address PostgreSQL listens on, <c>host:port</c> (<c>postgresql.listen</c>).</summary>
    /// <value>Default: <c>127.0.0.1:5432</c>.</value>
    public string Listen { get; set; } = "127.0.0.1:5432";

    /// <summary>The address other members and clients use to reach PostgreSQL (<c>postgresql.connect_address</c>).</summary>
    /// <value>Default: <see cref="Listen"/>.</value>
    public string? ConnectAddress { get; set; }

    /// <summary>The REST API's listen address, <c>host:port</c> (<c>restapi.listen</c>).</summary>
    /// <value>Default: <c>127.0.0.1:8008</c>.</value>
    public string RestListen { get; set; } = "127.0.0.1:8008";

    /// <summary>The address other members, <c>ctl</c> and load balancers use to reach the REST API (<c>restapi.connect_address</c>).</summary>
    /// <value>Default: <see cref="RestListen"/>.</value>
    public string? RestConnectAddress { get; set; }

    /// <summary>A bearer token required by the REST API's POST endpoints; GETs stay open. Required unless the API listens on loopback only.</summary>
    public string? RestToken { get; set; }

    /// <summary>etcd client URLs (<c>etcd3.hosts</c>).</summary>
    public List<string> EtcdEndpoints { get; set; } = [];

    /// <summary>etcd user, with <see cref="EtcdPassword"/>.</summary>
    public string? EtcdUsername { get; set; }

    /// <summary>etcd password.</summary>
    public string? EtcdPassword { get; set; }

    /// <summary>The leader lease: without a renewal for this long, the leader key expires and a replica may take over (<c>ttl</c>).</summary>
    /// <value>Default: 4 s (Patroni: 30 s).</value>
    public TimeSpan Ttl { get; set; } = TimeSpan.FromSeconds(4);

    /// <summary>The HA loop's period (<c>loop_wait</c>).</summary>
    /// <value>Default: 1 s (Patroni: 10 s).</value>
    public TimeSpan LoopWait { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long one DCS or PostgreSQL operation may be retried before the loop gives up on it (<c>retry_timeout</c>).</summary>
    /// <value>Default: 1.5 s (Patroni: 10 s).</value>
    public TimeSpan RetryTimeout { get; set; } = TimeSpan.FromSeconds(1.5);

    /// <summary>How long a leader whose postmaster died may take to start it again in place before it gives the leader key up (<c>primary_start_timeout</c>).</summary>
    /// <value>Default: 10 s (Patroni: 300 s, which favours a slow restart over a fast failover).</value>
    public TimeSpan PrimaryStartTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>A replica further behind the leader's last known position than this, in bytes, is never promoted automatically (<c>maximum_lag_on_failover</c>).</summary>
    /// <value>Default: 1 MiB (Patroni: 1 MiB).</value>
    public long MaximumLagOnFailover { get; set; } = 1 << 20;

    /// <summary>
    /// Lines written at the top of <c>pg_hba.conf</c> when the cluster is created (replicas copy the file with their
    /// base backup), e.g. <c>host replication all 10.0.0.0/24 scram-sha-256</c>. initdb's own rules, which admit
    /// loopback only, follow them. Nodes on other hosts need a <c>replication</c> line here; edit the file on every
    /// node (then reload) to change it later.
    /// </summary>
    /// <value>Default: none (loopback only).</value>
    public List<string> PgHba { get; set; } = [];

    /// <summary>Only a synchronous standby may be promoted, so no acknowledged commit is lost (<c>synchronous_mode</c>).</summary>
    public bool SynchronousMode { get; set; }

    /// <summary>With <see cref="SynchronousMode"/>: refuse writes rather than fall back to asynchronous replication when no standby is there (<c>synchronous_mode_strict</c>).</summary>
    public bool SynchronousModeStrict { get; set; }

    /// <summary>Never promote this member automatically (<c>tags.nofailover</c>).</summary>
    public bool NoFailover { get; set; }

    /// <summary>Answer 503 on <c>/replica</c> so load balancers leave this member out (<c>tags.noloadbalance</c>).</summary>
    public bool NoLoadBalance { get; set; }

    /// <summary>Among equally advanced candidates, the higher priority wins; 0 or less means never, as <see cref="NoFailover"/> (<c>tags.failover_priority</c>).</summary>
    /// <value>Default: 1.</value>
    public int FailoverPriority { get; set; } = 1;
}
