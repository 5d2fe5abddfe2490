using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using PgHa.Agent.Configuration;
using PgHa.Agent.Dcs;
using PgHa.Agent.Hosting;
using PgHa.Agent.Rest;

namespace PgHa.Agent.Ctl;

/// <summary>
/// <c>pgha-agent ctl</c>: patronictl's everyday verbs. It reads the same configuration as the agent (for the etcd
/// endpoints, scope, REST credentials and TLS files), reads the cluster straight from etcd, and asks the leader's REST API to switch over.
/// </summary>
internal static class CtlCommand
{
    private const string Usage = """
        usage: pgha-agent ctl <command> [--config file.json] [--PgHa:Agent:Scope=...] [options]
          list                                   members, roles, states, timelines and lag
          history                                timeline switches
          pause | resume                         stop / restart automatic failover (maintenance mode)
          switchover [--leader L] [--candidate C]  planned switchover (C: the most advanced healthy replica by default)
          failover --candidate C                 make C the leader, even with no leader left (an operator's decision)
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        var (verb, named, rest) = Split(args);
        if (verb is null)
        {
            await Console.Error.WriteLineAsync(Usage).ConfigureAwait(false);
            return 2;
        }

        var configuration = new ConfigurationManager();
        configuration.AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true);
        configuration.AddEnvironmentVariables();
        configuration.AddCommandLine(rest);
        AgentHost.AddConfigFile(configuration, rest);
        var options = AgentHost.Bind(configuration);
        if (options.EtcdEndpoints.Count == 0 || string.IsNullOrWhiteSpace(options.Scope))
        {
            await Console.Error.WriteLineAsync("pgha-agent ctl: EtcdEndpoints and Scope are required (from --config, PgHa__Agent__* or --PgHa:Agent:*).").ConfigureAwait(false);
            return 2;
        }

        using var etcd = AgentHost.CreateEtcdClient(options, NullLogger.Instance, requestTimeout: TimeSpan.FromSeconds(10));
        var dcs = new EtcdDcs(etcd, new DcsKeys(options.Namespace, options.Scope), "ctl", options.Ttl, NullLogger<EtcdDcs>.Instance);
        var view = await dcs.LoadAsync(CancellationToken.None).ConfigureAwait(false);
        switch (verb)
        {
            case "list":
                Console.Write(ListTable(view, options.Scope));
                return 0;
            case "history":
                Console.Write(HistoryTable(view.History));
                return 0;
            case "pause" or "resume":
                var config = (view.Config is { } json ? JsonNode.Parse(json) as JsonObject : null) ?? [];
                config["pause"] = verb == "pause" ? true : null;
                await dcs.WriteAsync(dcs.Keys.Config, config.ToJsonString(), CancellationToken.None).ConfigureAwait(false);
                Console.WriteLine(verb == "pause" ? "Success: cluster management is paused" : "Success: cluster management is resumed");
                return 0;
            case "switchover" or "failover":
                return await SwitchAsync(view, options, verb, named).ConfigureAwait(false);
            default:
                await Console.Error.WriteLineAsync($"unknown command '{verb}'\n{Usage}").ConfigureAwait(false);
                return 2;
        }
    }

    /// <summary>Posts to the leader's API (or, for a failover with no leader, to the candidate's) and prints its answer.</summary>
    private static async Task<int> SwitchAsync(ClusterView view, AgentOptions options, string verb, Dictionary<string, string> named)
    {
        var leader = named.GetValueOrDefault("leader") ?? (verb == "switchover" ? view.Leader : null);
        var candidate = named.GetValueOrDefault("candidate");
        var target = view.ApiUrlOf(view.Leader) ?? view.ApiUrlOf(candidate) ?? view.Members.Values.FirstOrDefault()?.ApiUrl;
        if (target is null)
        {
            await Console.Error.WriteLineAsync("No member publishes a REST address.").ConfigureAwait(false);
            return 1;
        }

        using var http = RestHttpClient.Create(options, ActionEndpoints.ResultWait + TimeSpan.FromSeconds(10));
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(new Uri(target), "/" + verb))
        {
            Content = new StringContent(JsonSerializer.Serialize(new { leader, candidate }), Encoding.UTF8, "application/json"),
        };
        using var response = await http.SendAsync(request).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
        Console.WriteLine(response.IsSuccessStatusCode ? $"Success: {text}" : $"Error ({(int)response.StatusCode}): {text}");
        return response.IsSuccessStatusCode ? 0 : 1;
    }

    internal static string ListTable(ClusterView view, string scope)
    {
        var rows = ClusterReport.Rows(view).Select(r => new[]
        {
            r.Name, $"{r.Host}:{r.Port}", Title(r.Role), r.State, r.Timeline?.ToString(CultureInfo.InvariantCulture) ?? "",
            r.Role == "leader" ? "" : r.Lag is { } lag ? (lag / 1048576.0).ToString("0.##", CultureInfo.InvariantCulture) : "unknown",
        }).ToList();
        var title = $" Cluster: {scope} ({view.Initialize}){(view.IsPaused ? " [paused]" : "")} ";
        return Table(title, ["Member", "Host", "Role", "State", "TL", "Lag in MB"], rows);
    }

    internal static string HistoryTable(string? history)
    {
        var rows = new List<string[]>();
        if (history is not null && JsonNode.Parse(history) is JsonArray entries)
        {
            foreach (var entry in entries.OfType<JsonArray>())
                rows.Add(entry.Select(e => e?.ToString() ?? "").Concat(Enumerable.Repeat("", 5)).Take(5).ToArray());
        }

        return Table(" History ", ["TL", "LSN", "Reason", "Timestamp", "New Leader"], rows);
    }

    private static string Title(string role) => role switch
    {
        "leader" => "Leader",
        "sync_standby" => "Sync Standby",
        "primary" => "Primary",
        _ => "Replica",
    };

    private static string Table(string title, string[] header, List<string[]> rows)
    {
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Select(r => r[i].Length).DefaultIfEmpty(0).Max())).ToArray();
        var line = "+" + string.Join("+", widths.Select(w => new string('-', w + 2))) + "+";
        var top = "+" + title + line[Math.Min(line.Length - 1, title.Length + 1)..];
        var text = new StringBuilder().AppendLine(top);
        text.AppendLine("| " + string.Join(" | ", header.Select((h, i) => h.PadRight(widths[i]))) + " |").AppendLine(line);
        foreach (var row in rows)
            text.AppendLine("| " + string.Join(" | ", row.Select((c, i) => i >= 4 ? c.PadLeft(widths[i]) : c.PadRight(widths[i]))) + " |");
        return text.AppendLine(line).ToString();
    }

    /// <summary>The verb, <c>--candidate</c>/<c>--leader</c> values, and everything else (configuration).</summary>
    private static (string? Verb, Dictionary<string, string> Named, string[] Configuration) Split(string[] args)
    {
        string? verb = null;
        var named = new Dictionary<string, string>(StringComparer.Ordinal);
        var rest = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] is "--candidate" or "--leader" && i + 1 < args.Length)
                named[args[i][2..]] = args[++i];
            else if (verb is null && !args[i].StartsWith('-'))
                verb = args[i];
            else
                rest.Add(args[i]);
        }

        return (verb, named, rest.ToArray());
    }
}
