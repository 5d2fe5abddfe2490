using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using PgHa.Client.Diagnostics;

namespace PgHa.Client.IntegrationTests;

/// <summary>Records what PgHa publishes on its meter and activity source, for one cluster name.</summary>
internal sealed class TelemetryRecorder : IDisposable
{
    private readonly string _cluster;
    private readonly MeterListener _meters = new();
    private readonly ActivityListener _activities;

    public TelemetryRecorder(string cluster)
    {
        _cluster = cluster;
        _meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == PgHaTelemetry.Name)
                listener.EnableMeasurementEvents(instrument);
        };
        _meters.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            if (OurCluster(tags) is { } tagged)
                Measurements.Enqueue((instrument.Name, value, tagged));
        });
        _meters.SetMeasurementEventCallback<int>((instrument, value, tags, _) => RecordNumber(instrument, value, tags));
        _meters.SetMeasurementEventCallback<double>((instrument, value, tags, _) => RecordNumber(instrument, value, tags));
        _meters.Start();
        _activities = new ActivityListener
        {
            ShouldListenTo = source => source.Name == PgHaTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (Equals(activity.GetTagItem("pgha.cluster"), _cluster))
                    Activities.Enqueue(activity);
            },
        };
        ActivitySource.AddActivityListener(_activities);
    }

    public ConcurrentQueue<(string Instrument, long Value, Dictionary<string, object?> Tags)> Measurements { get; } = new();

    public ConcurrentQueue<Activity> Activities { get; } = new();

    /// <summary>Measurements of <c>int</c> and <c>double</c> instruments (gauges, histograms), as doubles.</summary>
    public ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)> Numbers { get; } = new();

    /// <summary>Makes the observable gauges report now.</summary>
    public void ObserveGauges() => _meters.RecordObservableInstruments();

    public long Sum(string instrument, string tag, string value)
        => Measurements.Where(m => m.Instrument == instrument && Equals(m.Tags.GetValueOrDefault(tag), value)).Sum(m => m.Value);

    private void RecordNumber(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (OurCluster(tags) is { } tagged)
            Numbers.Enqueue((instrument.Name, value, tagged));
    }

    /// <summary>The measurement's tags, if it is for the recorded cluster.</summary>
    private Dictionary<string, object?>? OurCluster(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var tagged = new Dictionary<string, object?>();
        foreach (var tag in tags)
            tagged[tag.Key] = tag.Value;
        return Equals(tagged.GetValueOrDefault("pgha.cluster"), _cluster) ? tagged : null;
    }

    public void Dispose()
    {
        _meters.Dispose();
        _activities.Dispose();
    }
}
