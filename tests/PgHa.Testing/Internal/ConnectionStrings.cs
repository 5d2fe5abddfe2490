using System.Data.Common;
using System.Text;
using Npgsql;

namespace PgHa.Testing.Internal;

/// <summary>Builds the Npgsql connection strings the harness hands out and uses itself.</summary>
internal static class ConnectionStrings
{
    /// <summary><c>Host=h1:p1,h2:p2;Username=..;Database=..[;Password=..]</c>, hosts in the given order.</summary>
    public static string ForEndpoints(IEnumerable<string> endpoints, ClusterContext context)
    {
        var builder = new StringBuilder();
        DbConnectionStringBuilder.AppendKeyValuePair(builder, "Host", string.Join(',', endpoints));
        DbConnectionStringBuilder.AppendKeyValuePair(builder, "Username", context.Username);
        DbConnectionStringBuilder.AppendKeyValuePair(builder, "Database", context.Database);
        if (context.Password is not null)
            DbConnectionStringBuilder.AppendKeyValuePair(builder, "Password", context.Password);
        return builder.ToString();
    }

    /// <summary>The harness's own connections: unpooled, so that a killed or frozen node never hands back a dead one.</summary>
    public static string Admin(string host, int port, ClusterContext context, string? database, TimeSpan connectTimeout) =>
        new NpgsqlConnectionStringBuilder
        {
            Host = host,
            Port = port,
            Username = context.Username,
            Password = context.Password,
            Database = database ?? context.Database,
            Pooling = false,
            Timeout = Math.Max(1, (int)connectTimeout.TotalSeconds),
            CommandTimeout = 30,
            SslMode = SslMode.Disable,
            ApplicationName = "PgHa.Testing",
        }.ConnectionString;
}
