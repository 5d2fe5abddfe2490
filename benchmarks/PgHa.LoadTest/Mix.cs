namespace PgHa.LoadTest;

/// <summary>A workload: the share of operations that are reads (the rest are writes).</summary>
internal readonly record struct Mix(string Name, int ReadPercent)
{
    public static Mix Parse(string text)
    {
        switch (text.Trim().ToLowerInvariant())
        {
            case "read":
                return new("read", 100);
            case "write":
                return new("write", 0);
        }

        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash > 0
            && int.TryParse(text.AsSpan(0, slash), out var reads)
            && int.TryParse(text.AsSpan(slash + 1), out var writes)
            && reads >= 0 && writes >= 0 && reads + writes == 100)
            return new($"{reads}/{writes}", reads);
        throw new UsageException($"--mixes: '{text}' is not a workload; use read, write or R/W with R+W = 100 (e.g. 90/10).");
    }
}
