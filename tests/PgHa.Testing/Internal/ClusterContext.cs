namespace PgHa.Testing.Internal;

/// <summary>What every node of one cluster shares: a snapshot of the options and the tools.</summary>
internal sealed class ClusterContext(PgClusterOptions options, PostgresTools tools, string rootDirectory)
{
    public string RootDirectory { get; } = rootDirectory;

    public PostgresTools Tools { get; } = tools;

    public string Username { get; } = options.Username;

    public string? Password { get; } = options.Password;

    public string Database { get; } = options.Database;

    public bool DataChecksums { get; } = options.DataChecksums;

    public TimeSpan Timeout { get; } = options.StartTimeout;

    public IReadOnlyDictionary<string, string> Settings { get; } =
        new Dictionary<string, string>(options.Settings, StringComparer.OrdinalIgnoreCase);
}
