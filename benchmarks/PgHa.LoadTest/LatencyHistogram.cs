using System.Diagnostics;

namespace PgHa.LoadTest;

/// <summary>
/// Fixed buckets, no allocation per sample: 1 µs wide up to 10 ms, 100 µs wide up to 1 s, then one overflow bucket
/// (reported as 1 s). Each client records into its own; rounds merge them per cell.
/// </summary>
internal sealed class LatencyHistogram
{
    private const int FineLimitMicros = 10_000;
    private const int CoarseWidthMicros = 100;
    private const int CoarseLimitMicros = 1_000_000;
    private const int Buckets = FineLimitMicros + (CoarseLimitMicros - FineLimitMicros) / CoarseWidthMicros + 1;
    private static readonly double MicrosPerTick = 1_000_000.0 / Stopwatch.Frequency;

    private readonly long[] _counts = new long[Buckets];

    public long Count { get; private set; }

    public void Record(long elapsedTicks)
    {
        var micros = (long)(elapsedTicks * MicrosPerTick);
        var bucket = micros < FineLimitMicros ? micros
            : micros < CoarseLimitMicros ? FineLimitMicros + (micros - FineLimitMicros) / CoarseWidthMicros
            : Buckets - 1;
        _counts[bucket]++;
        Count++;
    }

    public void AddTo(LatencyHistogram total)
    {
        for (var i = 0; i < Buckets; i++)
            total._counts[i] += _counts[i];
        total.Count += Count;
    }

    public void Clear()
    {
        Array.Clear(_counts);
        Count = 0;
    }

    /// <summary>The latency in µs below which <paramref name="fraction"/> of the samples fall (upper edge of the bucket).</summary>
    public double PercentileMicros(double fraction)
    {
        if (Count == 0)
            return double.NaN;
        var rank = (long)Math.Ceiling(Count * fraction);
        long seen = 0;
        for (var i = 0; i < Buckets; i++)
        {
            seen += _counts[i];
            if (seen >= Math.Max(1, rank))
                return i < FineLimitMicros ? i + 1 : FineLimitMicros + (i - FineLimitMicros + 1) * CoarseWidthMicros;
        }

        return CoarseLimitMicros;
    }
}
