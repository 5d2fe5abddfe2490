using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using PgHa.Client.Topology;

namespace PgHa.Client.Diagnostics;

/// <summary>
/// PgHa's instruments on one <see cref="Meter"/>, created once per meter: a meter factory hands every data source
/// of a host the same meter, and instruments created twice on it would be reported twice. The gauges read the
/// topology of every live data source registered on the meter.
/// </summary>
internal sealed class PgHaInstruments
{
    private static readonly ConditionalWeakTable<Meter, PgHaInstruments> ByMeter = [];

    private readonly Lock _gate = new();
    private PgHaMetrics[] _sources = [];

    private PgHaInstruments(Meter meter)
    {
        Routed = meter.CreateCounter<long>("pgha.client.connections.routed", "{connection}",
            "Connections routed, by the role asked for, the role of the node chosen and the outcome (routed, fallback, failed).");
        Fallbacks = meter.CreateCounter<long>("pgha.client.routing.fallbacks", "{connection}",
            "Replica reads that went to the primary because no replica was within the lag bounds.");
        Retries = meter.CreateCounter<long>("pgha.client.unit_of_work.retries", "{retry}",
            "Units of work run again after a failure, by reason.");
        InDoubtCommits = meter.CreateCounter<long>("pgha.client.commit.in_doubt", "{commit}",
            "COMMITs whose answer never came, by how they were resolved (committed, not_committed, unknown).");
        Failovers = meter.CreateHistogram<double>("pgha.client.failover.duration", "s",
            "From the moment the watchdog lost the primary to the moment it found a writable one, by outcome (promoted, recovered).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20, 30, 60] });
        meter.CreateObservableGauge("pgha.client.node.up", ObserveNodes, "{node}",
            "1 while the node answers the watchdog's probes (up or suspect), 0 when it is down or not probed yet; tagged with its role.");
        meter.CreateObservableGauge("pgha.client.replica.lag", ObserveLagSeconds, "s",
            "How stale each replica's data is, as of the last probe.");
        meter.CreateObservableGauge("pgha.client.replica.lag_bytes", ObserveLagBytes, "By",
            "WAL the primary has flushed that each replica has not replayed, as of the last probe.");
    }

    public Counter<long> Routed { get; }

    public Counter<long> Fallbacks { get; }

    public Counter<long> Retries { get; }

    public Counter<long> InDoubtCommits { get; }

    public Histogram<double> Failovers { get; }

    public static PgHaInstruments For(Meter meter) => ByMeter.GetValue(meter, static m => new PgHaInstruments(m));

    public void Register(PgHaMetrics source)
    {
        lock (_gate)
            _sources = [.. _sources, source];
    }

    public void Unregister(PgHaMetrics source)
    {
        lock (_gate)
            _sources = Array.FindAll(_sources, s => !ReferenceEquals(s, source));
    }

    private IEnumerable<Measurement<int>> ObserveNodes()
    {
        foreach (var source in Volatile.Read(ref _sources))
        {
            foreach (var node in source.CurrentTopology().Nodes)
                yield return new Measurement<int>(node.Health is NodeHealth.Up or NodeHealth.Suspect ? 1 : 0, source.NodeTags(node));
        }
    }

    private IEnumerable<Measurement<double>> ObserveLagSeconds()
    {
        foreach (var source in Volatile.Read(ref _sources))
        {
            foreach (var node in source.CurrentTopology().Nodes)
            {
                if (node.Role == NodeRole.Replica && node.Health != NodeHealth.Down && node.ReplicaLag is { } lag)
                    yield return new Measurement<double>(lag.TotalSeconds, source.NodeTags(node));
            }
        }
    }

    private IEnumerable<Measurement<long>> ObserveLagBytes()
    {
        foreach (var source in Volatile.Read(ref _sources))
        {
            foreach (var node in source.CurrentTopology().Nodes)
            {
                if (node.Role == NodeRole.Replica && node.Health != NodeHealth.Down && node.ReplicaLagBytes is { } bytes)
                    yield return new Measurement<long>(bytes, source.NodeTags(node));
            }
        }
    }
}
