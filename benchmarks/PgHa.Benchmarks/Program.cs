using System.Globalization;
using BenchmarkDotNet.Running;
using PgHa.Benchmarks;

// dotnet run -c Release --project benchmarks/PgHa.Benchmarks -- --side-by-side [clients...]   interleaved A/B, markdown to stdout
// dotnet run -c Release --project benchmarks/PgHa.Benchmarks -- --failover-timings [repetitions]  watchdog timings on real clusters
// dotnet run -c Release --project benchmarks/PgHa.Benchmarks -- --write-cost [clients...]     ExecuteWriteAsync vs the same raw Npgsql transaction
// dotnet run -c Release --project benchmarks/PgHa.Benchmarks -- --write-gap [repetitions]      app-visible write gap in a promotion, PgHa vs Npgsql multi-host
// dotnet run -c Release --project benchmarks/PgHa.Benchmarks -- --agent-time-to-writable [repetitions]  agent switchover and node loss (root)
// dotnet run -c Release --project benchmarks/PgHa.Benchmarks -- --failover-comparison [repetitions] [fault...]  PgHa vs Npgsql multi-host vs HAProxy, agent cluster (root)
//     faults (all by default): "node loss" "postmaster crash" "switchover" "frozen primary" "partitioned primary"
//     Both agent benchmarks run each node in a network namespace of its own (NamespacedAgentCluster): they need root.
// dotnet run -c Release --project benchmarks/PgHa.Benchmarks -- --filter '*'                  BenchmarkDotNet
if (args.Length > 0 && args[0] == "--side-by-side")
{
    var clients = args.Length > 1 ? args[1..].Select(a => int.Parse(a, CultureInfo.InvariantCulture)).ToArray() : [1, 4];
    Console.WriteLine(await SideBySide.RunAsync(clients));
    return;
}

if (args.Length > 0 && args[0] == "--failover-timings")
{
    Console.WriteLine(await FailoverTimings.RunAsync(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5));
    return;
}

if (args.Length > 0 && args[0] == "--write-cost")
{
    var clients = args.Length > 1 ? args[1..].Select(a => int.Parse(a, CultureInfo.InvariantCulture)).ToArray() : [1, 4];
    Console.WriteLine(await WriteCost.RunAsync(clients));
    return;
}

if (args.Length > 0 && args[0] == "--write-gap")
{
    Console.WriteLine(await WriteGap.RunAsync(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5));
    return;
}

if (args.Length > 0 && args[0] == "--agent-time-to-writable")
{
    Console.WriteLine(await AgentTimeToWritable.RunAsync(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 7));
    return;
}

if (args.Length > 0 && args[0] == "--failover-comparison")
{
    var repetitions = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5;
    Console.WriteLine(await FailoverComparison.RunAsync(repetitions, args.Length > 2 ? args[2..] : null));
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
