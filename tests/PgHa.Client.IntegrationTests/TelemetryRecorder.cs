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
            var tagged = new Dictionary<string, object?>();
            foreach (var tag in tags)
                tagged[tag.Key] = tag.Value;
            if (Equals(tagged.GetValueOrDefault("pgha.cluster"), _cluster))
                Measurements.Enqueue((instrument.Name, value, tagged));
        });
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

    public long Sum(string instrument, string tag, string value)
        => Measurements.Where(m => m.Instrument == instrument && Equals(m.Tags.GetValueOrDefault(tag), value)).Sum(m => m.Value);

    public void Dispose()
    {
        _meters.Dispose();
        _activities.Dispose();
    }
}
