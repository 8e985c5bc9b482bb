// What recording a call costs the app's thread (target: under 5 µs):
//   dotnet run -c Release --project bench/Tally.Bench.Recorder -- --job short --filter '*'
//   dotnet run -c Release --project bench/Tally.Bench.Recorder -- --cpu-time    (processor time per call)
using BenchmarkDotNet.Running;
using Tally.Bench.Recorder;

if (args is ["--cpu-time"])
{
    CpuTimeCheck.Run(calls: 2_000_000);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(RecordBenchmarks).Assembly).Run(args);
