using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/StreamFunctions.Benchmarks -- --filter '*Aggregation*'
// Add --job short for a quick look; RESULTS.md figures come from the default job.
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
