namespace PgHa.Testing.Internal;

/// <summary>Quotes text for SQL that cannot take parameters (ALTER SYSTEM, CREATE DATABASE).</summary>
internal static class SqlText
{
    public static string Literal(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    public static string Identifier(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
