namespace PgHa.Testing.Internal;

/// <summary>Reads the end of a node's server log for error messages.</summary>
internal static class ServerLog
{
    private const int MaxBytes = 16 * 1024;
    private const int MaxLines = 30;

    public static long Length(string path)
    {
        var info = new FileInfo(path);
        return info.Exists ? info.Length : 0;
    }

    /// <summary>The last lines written at or after <paramref name="fromOffset"/>, or <see langword="null"/> when there are none.</summary>
    public static string? Tail(string path, long fromOffset = 0)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var start = Math.Max(Math.Min(fromOffset, stream.Length), stream.Length - MaxBytes);
            stream.Seek(start, SeekOrigin.Begin);
            using var reader = new StreamReader(stream);
            var lines = reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            return lines.Length == 0 ? null : string.Join('\n', lines.TakeLast(MaxLines));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
