using BenchmarkDotNet.Running;

// dotnet run -c Release --project benchmarks/PgHa.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
