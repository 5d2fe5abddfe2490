namespace PgHa.Testing;

/// <summary>How <see cref="PgCluster.StartAsync"/> builds a cluster.</summary>
public sealed class PgClusterOptions
{
    /// <summary>Gets or sets how many streaming replicas follow the initial primary.</summary>
    /// <value>Default: 2. Zero gives a lone primary.</value>
    public int Replicas { get; set; } = 2;

    /// <summary>Gets or sets the directory holding <c>initdb</c>, <c>pg_ctl</c>, <c>pg_basebackup</c> and <c>pg_rewind</c>.</summary>
    /// <value>
    /// Default: <see langword="null"/>: the <c>PGHA_PG_BIN</c> environment variable, then <c>pg_config --bindir</c>,
    /// then the newest <c>/usr/lib/postgresql/*/bin</c> (and other usual places). PostgreSQL 13 or newer is required.
    /// </value>
    public string? BinDirectory { get; set; }

    /// <summary>Gets or sets the directory that will hold every node's data directory and log; it must not exist or be empty.</summary>
    /// <value>Default: <see langword="null"/>: a fresh directory under <c>{Path.GetTempPath()}/pgha-clusters</c>. It is deleted on dispose.</value>
    public string? RootDirectory { get; set; }

    /// <summary>Gets or sets the name of the bootstrap superuser, used by every connection string.</summary>
    /// <value>Default: <c>postgres</c>.</value>
    public string Username { get; set; } = "postgres";

    /// <summary>Gets or sets the superuser's password.</summary>
    /// <value>
    /// Default: <see langword="null"/>: loopback connections are trusted. When set, TCP connections (including
    /// replication) must authenticate with scram-sha-256 and the password appears in the connection strings.
    /// </value>
    public string? Password { get; set; }

    /// <summary>Gets or sets the database the connection strings name; it is created when it is not <c>postgres</c>.</summary>
    /// <value>Default: <c>postgres</c>.</value>
    public string Database { get; set; } = "postgres";

    /// <summary>Gets or sets whether <c>initdb</c> enables data checksums.</summary>
    /// <value>Default: <see langword="true"/>. <c>wal_log_hints</c> is on either way, so <c>pg_rewind</c> works regardless.</value>
    public bool DataChecksums { get; set; } = true;

    /// <summary>Gets extra <c>postgresql.conf</c> settings for every node; they override the harness's own.</summary>
    /// <value>Default: empty. Keys are case-insensitive, values are written quoted.</value>
    public IDictionary<string, string> Settings { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Gets or sets the time each waiting harness operation may take: starting, stopping, cloning or
    /// rewinding a node, a promotion, a replica reaching the streaming state.</summary>
    /// <value>Default: 30 s.</value>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(30);

    internal void Validate()
    {
        var errors = new List<string>();
        if (Replicas < 0)
            errors.Add($"{nameof(Replicas)} must be 0 or more (was {Replicas}).");
        if (string.IsNullOrWhiteSpace(Username))
            errors.Add($"{nameof(Username)} must not be empty.");
        if (string.IsNullOrWhiteSpace(Database))
            errors.Add($"{nameof(Database)} must not be empty.");
        if (StartTimeout <= TimeSpan.Zero)
            errors.Add($"{nameof(StartTimeout)} must be positive (was {StartTimeout}).");
        if (errors.Count > 0)
            throw new ArgumentException("Invalid PgClusterOptions: " + string.Join(" ", errors), "options");
    }
}
