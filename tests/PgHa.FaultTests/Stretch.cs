using System.Diagnostics;

namespace PgHa.FaultTests;

/// <summary>A stretch of time between two <see cref="Stopwatch"/> timestamps.</summary>
internal readonly record struct Stretch(long From, long To)
{
    public TimeSpan Length => Stopwatch.GetElapsedTime(From, To);

    /// <summary>Whether the two share a moment; a stretch that ends exactly when the other starts does not.</summary>
    public bool Overlaps(Stretch other) => From < other.To && other.From < To;
}
