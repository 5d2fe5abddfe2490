using System.Diagnostics;
using System.Globalization;
using PgHa.LoadTest;
using PgHa.Testing;

// dotnet run -c Release --project benchmarks/PgHa.LoadTest -- [--clients 1,8,32] [--mixes read,write,90/10] [--systems ...] [--round 1s] [--rounds 6] [--out PATH]
LoadTestOptions options;
try
{
    options = LoadTestOptions.Parse(args);
}
catch (UsageException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

if (options.Help)
{
    Console.WriteLine(LoadTestOptions.Usage);
    return 0;
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // Unwind through the await usings so the proxies and the cluster are torn down.
    e.Cancel = true;
    cancel.Cancel();
    Console.Error.WriteLine("cancelling: tearing down the proxies and the cluster...");
};

var clock = Stopwatch.StartNew();
void Progress(string message) => Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{clock.Elapsed:mm\\:ss}] {message}"));

try
{
    var started = DateTime.UtcNow;
    var loadAtStart = LoadAverage();
    Progress(string.Create(CultureInfo.InvariantCulture, $"measurement will take about {options.EstimatedDuration.TotalMinutes:0.0} min after start-up"));
    await using var bed = await LoadTestBed.StartAsync(options, Progress, cancel.Token);
    var versions = new List<string> { $"PostgreSQL {bed.PostgresVersion}", $"Npgsql {typeof(Npgsql.NpgsqlConnection).Assembly.GetName().Version}" };
    if (bed.HaProxy is not null)
        versions.Add(await Prerequisites.VersionAsync(Prerequisites.Find("haproxy", SystemKind.HaProxy), "-v"));
    if (bed.PgPool is not null)
        versions.Add(await Prerequisites.VersionAsync(Prerequisites.Find("pgpool", SystemKind.PgPool), "--version"));

    Progress("checking where each system sends reads and writes");
    var routing = await Measurement.CheckRoutingAsync(options, bed, cancel.Token);
    foreach (var check in routing)
        Progress($"  {check.System.Name(),-13} reads {string.Join('/', check.ReadsByNode)}  writes {string.Join('/', check.WritesByNode)}  in recovery via read path: {check.InRecoveryViaReadPath}  {check.Verdict}");

    var selectsBefore = bed.PgPool is null ? null : await PoolNode.ReadAsync(bed.PgPool.Port, cancel.Token);
    Progress("measuring");
    var cells = await Measurement.RunAsync(options, bed, Progress, cancel.Token);
    var selectsAfter = bed.PgPool is null ? null : await PoolNode.ReadAsync(bed.PgPool.Port, cancel.Token);

    var names = bed.Nodes.Select((n, i) => i == 0 ? $"{n.Name} (primary)" : n.Name).ToList();
    var report = new Report
    {
        Options = options,
        Command = options.CommandLine(args),
        Started = started.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture),
        Duration = string.Create(CultureInfo.InvariantCulture, $"{clock.Elapsed.TotalMinutes:0.0} min"),
        LoadAverage = $"{loadAtStart} / {LoadAverage()}",
        Versions = versions,
        NodeNames = bed.Nodes.Select(n => n.Name).ToList(),
        Routing = routing,
        Cells = cells,
        Systems = bed.Targets.Select(t => t.Kind).ToList(),
        Note = options.Note,
        PgPoolSelects = selectsBefore is null || selectsAfter is null
            ? null
            : selectsAfter.Select(a => (names[Array.IndexOf(bed.Ports, a.Port)], a.SelectCount - (selectsBefore.FirstOrDefault(b => b.Port == a.Port)?.SelectCount ?? 0))).ToList(),
    }.ToString();

    var output = Path.GetFullPath(options.OutputPath);
    Directory.CreateDirectory(Path.GetDirectoryName(output)!);
    await File.WriteAllTextAsync(output, report, CancellationToken.None);
    Progress($"wrote {output}");
    return 0;
}
catch (UsageException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}
catch (OperationCanceledException) when (cancel.IsCancellationRequested)
{
    Console.Error.WriteLine("cancelled; nothing written.");
    return 130;
}
catch (PgHarnessException e)
{
    Console.Error.WriteLine($"harness: {e.Message}");
    return 1;
}
catch (Exception e)
{
    Console.Error.WriteLine($"load test failed (cluster and proxies were torn down): {e}");
    return 1;
}

static string LoadAverage()
{
    try
    {
        return File.ReadAllText("/proc/loadavg").Split(' ')[0];
    }
    catch (IOException)
    {
        return "?";
    }
}
