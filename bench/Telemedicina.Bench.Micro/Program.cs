// BenchmarkDotNet micro-benchmarks of the pure hot spots of issue 8: slot computation (every slot search and
// booking computes it), the signal envelope (every relayed signal crosses the Orleans serializer once or twice and
// the SignalR JSON protocol twice) and access-token validation (every API call). Run through ./bench.sh --micro, which writes
// docs/benchmarks-micro.md; any BenchmarkDotNet option passes through (e.g. --filter '*Slot*', --job short).
using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Telemedicina.Bench.Micro.SlotBenchmarks).Assembly).Run(args);
