using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using PgHa.Agent.Dcs;
using PgHa.Agent.Postgres;

namespace PgHa.Agent.Ha;

/// <summary>The leader's bookkeeping: replication slots, the timeline history, the post-promotion checkpoint, the config key.</summary>
internal sealed partial class HaExecutor
{
    private readonly HashSet<string> _slotsMade = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _slotOwnerGoneSince = new(StringComparer.Ordinal);

    /// <summary>
    /// Creates a replication slot for every other member, so a replica that falls behind or restarts still finds its
    /// WAL, and drops the inactive slot of a member gone for longer than <see cref="SlotGracePeriod"/> (it would keep
    /// WAL on the leader forever).
    /// </summary>
    private async Task EnsureSlotsAsync(ClusterView view, CancellationToken ct)
    {
        var wanted = view.Members.Keys.Where(m => m != options.Name).Select(PostgresController.SlotNameFor).ToHashSet(StringComparer.Ordinal);
        foreach (var slot in LastReplication.Select(r => r.ApplicationName).Concat(await postgres.InactiveSlotsAsync(ct).ConfigureAwait(false)).Distinct())
        {
            if (wanted.Contains(slot))
            {
                _slotOwnerGoneSince.Remove(slot);
                continue;
            }

            _slotOwnerGoneSince.TryAdd(slot, Stopwatch.GetTimestamp());
            if (Since(_slotOwnerGoneSince[slot]) > SlotGracePeriod && await postgres.DropInactiveSlotAsync(slot, ct).ConfigureAwait(false))
            {
                LogSlotDropped(logger, slot, SlotGracePeriod.TotalMinutes);
                _slotOwnerGoneSince.Remove(slot);
            }
        }

        foreach (var member in view.Members.Keys)
        {
            if (member == options.Name || _slotsMade.Contains(member))
                continue;
            await postgres.EnsureSlotAsync(PostgresController.SlotNameFor(member), ct).ConfigureAwait(false);
            _slotsMade.Add(member);
        }
    }

    /// <summary>Appends the timeline switch to the <c>history</c> key: <c>[timeline, switch position, reason, time, new leader]</c>, as Patroni.</summary>
    private async Task AppendHistoryAsync(ClusterView view, CancellationToken ct)
    {
        try
        {
            var state = await postgres.QueryStateAsync(ct).ConfigureAwait(false);
            var file = await postgres.ReadServerFileAsync($"pg_wal/{state.Timeline:X8}.history", ct).ConfigureAwait(false);
            var last = file?.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault(l => !l.StartsWith('#'));
            var fields = last?.Split('\t', 3);
            if (fields is not { Length: >= 2 })
                return;
            var history = (view.History is { } json ? JsonNode.Parse(json) as JsonArray : null) ?? [];
            history.Add(new JsonArray(
                int.Parse(fields[0], CultureInfo.InvariantCulture),
                Lsn.Parse(fields[1]),
                fields.Length > 2 ? fields[2] : "",
                clock.GetUtcNow().ToString("yyyy-MM-ddTHH:mm:ss.ffffffzzz", CultureInfo.InvariantCulture),
                options.Name));
            await dcs.WriteAsync(dcs.Keys.History, history.ToJsonString(), ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is JsonException or FormatException or Npgsql.NpgsqlException)
        {
            LogHistoryFailed(logger, ex.Message);
        }
    }

    private async Task CheckpointAsync(CancellationToken ct)
    {
        try
        {
            await postgres.ExecuteAsync("CHECKPOINT", ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or InvalidOperationException)
        {
            LogHistoryFailed(logger, "post-promotion checkpoint: " + ex.Message);
        }
    }

    /// <summary>The leader's <c>SynchronousMode</c> governs the cluster: publish it in the <c>config</c> key (keeping the rest, e.g. <c>pause</c>).</summary>
    private async Task PublishSynchronousModeAsync(ClusterView view, CancellationToken ct)
    {
        var config = (view.Config is { } json ? TryParseObject(json) : null) ?? [];
        config["synchronous_mode"] = options.SynchronousMode;
        await dcs.WriteAsLeaderAsync(dcs.Keys.Config, config.ToJsonString(), ct).ConfigureAwait(false);
    }

    private static JsonObject? TryParseObject(string json)
    {
        try
        {
            return JsonNode.Parse(json) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private string ConfigJson() => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["ttl"] = (int)options.Ttl.TotalSeconds,
        ["loop_wait"] = options.LoopWait.TotalSeconds,
        ["retry_timeout"] = options.RetryTimeout.TotalSeconds,
        ["maximum_lag_on_failover"] = options.MaximumLagOnFailover,
        ["synchronous_mode"] = options.SynchronousMode,
    });

    [LoggerMessage(EventId = 507, Level = LogLevel.Information, Message = "Dropped the replication slot {Slot}: its member left the cluster more than {Minutes} min ago")]
    private static partial void LogSlotDropped(ILogger logger, string slot, double minutes);

    [LoggerMessage(EventId = 518, Level = LogLevel.Warning, Message = "Timeline history or checkpoint: {Reason}")]
    private static partial void LogHistoryFailed(ILogger logger, string reason);
}
