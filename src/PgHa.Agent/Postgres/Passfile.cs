using System.Text;

namespace PgHa.Agent.Postgres;

/// <summary>
/// A libpq password file (<c>hostname:port:database:username:password</c>, <c>:</c> and <c>\</c> backslash-escaped)
/// holding the replication and rewind roles' passwords, so <c>pg_basebackup</c>, <c>pg_rewind</c> and the WAL receiver
/// find them through <c>passfile=</c> in their connection string, and no process environment carries a password.
/// </summary>
internal static class Passfile
{
    /// <summary>The file's text: one line per role with a password, any host, port and database.</summary>
    public static string Format(IEnumerable<(string User, string? Password)> credentials)
    {
        var text = new StringBuilder();
        foreach (var (user, password) in credentials.Where(c => c.Password is not null).DistinctBy(c => c.User, StringComparer.Ordinal))
            text.Append("*:*:*:").Append(Escape(user)).Append(':').Append(Escape(password!)).Append('\n');
        return text.ToString();
    }

    /// <summary>
    /// Writes the file with mode 0600 from its creation (libpq ignores a passfile others can read) and hands it to
    /// <paramref name="own"/> before it replaces the old one, so it is never readable by anyone else, even for a moment.
    /// </summary>
    public static void Write(string path, string text, Action<string> own)
    {
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException("pgha-agent runs on Linux.");
        var temporary = path + ".tmp";
        File.Delete(temporary);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite };
        using (var stream = new FileStream(temporary, options))
        using (var writer = new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false)))
            writer.Write(text);
        own(temporary);
        File.Move(temporary, path, overwrite: true);
    }

    private static string Escape(string value) => value.Replace(@"\", @"\\", StringComparison.Ordinal).Replace(":", @"\:", StringComparison.Ordinal);
}
