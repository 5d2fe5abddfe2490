using System.Diagnostics;
using System.Globalization;

namespace PgHa.Samples.ConsoleDemo;

/// <summary>Prints lines stamped with the seconds since the demo started.</summary>
internal sealed class Timeline
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Lock _gate = new();

    public TimeSpan Now => _clock.Elapsed;

    public void Say(string text)
    {
        lock (_gate)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{_clock.Elapsed.TotalSeconds,6:0.000} s] {text}"));
    }
}
