using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using SwUpgradeFunc.Benchmarks;

const string Usage = """
    Usage: dotnet run -c Release --project bench/SwUpgradeFunc.Benchmarks -- <suite> [options]

    Suites:
      cpu     BenchmarkDotNet: the receiver's CPU work per notification (parse, validate, envelope), no storage.
              --quick: one figure (parse + validate + envelope of a swUpgradeStateChangeNotify), about a minute.
              Other arguments go to BenchmarkDotNet (e.g. --filter '*Parse*'); without --filter all run.
      queue   Against Azurite: the receiver path (the HTTP function's code) vs bare QueueClient.SendMessageAsync.
              Each round also runs the receiver with the client certificate required (CA made in-process).
      processor
              Against Azurite: the processor path (NotificationProcessor) vs bare TableClient.UpsertEntityAsync.
      progress
              Against Azurite: GET /api/upgrades/{operationId} (the function's code) on tasks of 10,000 and 100,000
              sub-tasks seeded in the store's row format; medians and their ratio.
      timeline
              Against Azurite: on tasks of --count and 10 x --count sub-tasks (default 10,000 and 100,000), 1 % failed:
              the phase=failed page against the progress read, and the timeline at both sizes; medians and ratios.
      storage Against Azurite: what the storage charges per request kind (point read, queue send, transactions of
              1 to 6 operations), in bare upserts of the same run.
      push    The platform's view: the simulator pushes a fleet over HTTP (Kestrel on 127.0.0.1) to the receiver,
              paced at --rate (800/s), then unpaced; achieved rate, latency percentiles, every non-200.
      insight Against Azurite: a page of phase=failed and of phase=stalled, the failure reasons and the source versions
              of one task of --count sub-tasks (10,000), 1 % failed and 1 % stalled.
      all     queue, processor, progress and push, then cpu.

    Load options (queue, processor, push): --count N (10000), --concurrency N (32), --rounds N (3),
                          --time-limit SECONDS (60), --disk (Azurite on disk instead of in memory), --rate N (push: 800),
                          --failed PERCENT (processor: devices whose result is FAIL, 0)
    """;

if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.WriteLine(Usage);
    return args.Length == 0 ? 2 : 0;
}

var suite = args[0];
var rest = args.Skip(1).ToArray();
var command = $"dotnet run -c Release --project bench/SwUpgradeFunc.Benchmarks -- {string.Join(' ', args)}";
try
{
    switch (suite)
    {
        case "cpu":
            RunCpu(rest);
            return 0;
        case "queue":
            return await QueueSuite.RunAsync(LoadSettings.Parse(rest), command);
        case "push":
            return await PushSuite.RunAsync(LoadSettings.Parse(rest), command);
        case "processor":
            return await ProcessorSuite.RunAsync(LoadSettings.Parse(rest), command);
        case "progress":
            return await ProgressSuite.RunAsync(LoadSettings.Parse(rest), command);
        case "timeline":
            return await TimelineSuite.RunAsync(LoadSettings.Parse(rest), command);
        case "storage":
            return await StorageCostSuite.RunAsync(LoadSettings.Parse(rest), command);
        case "insight":
            return await InsightSuite.RunAsync(LoadSettings.Parse(rest), command);
        case "all":
            // The load suites first, before BenchmarkDotNet's in-process runner tunes this process: a run that did the CPU
            // suite first stalled in the queue suite (Azurite busy at 100%, the client idle). See docs/performance.md.
            var queue = await QueueSuite.RunAsync(LoadSettings.Parse(rest), command);
            var processor = await ProcessorSuite.RunAsync(LoadSettings.Parse(rest), command);
            var progress = await ProgressSuite.RunAsync(LoadSettings.Parse(rest), command);
            var push = await PushSuite.RunAsync(LoadSettings.Parse(rest), command);
            RunCpu([]);
            return Math.Max(Math.Max(Math.Max(queue, processor), push), progress);
        default:
            Console.Error.WriteLine($"Unknown suite '{suite}'.\n{Usage}");
            return 2;
    }
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}

static void RunCpu(string[] benchmarkArgs)
{
    // --quick: one figure, the target's (parse + validate + envelope of a swUpgradeStateChangeNotify), few iterations.
    var quick = benchmarkArgs.Contains("--quick");
    benchmarkArgs = [.. benchmarkArgs.Where(a => a != "--quick")];
    ReceiverCpuBenchmarks.OnlySwState = quick;

    // In-process: no generated project to build, which keeps the run short on a small machine.
    var job = Job.Default.WithToolchain(InProcessEmitToolchain.Instance);
    job = quick ? job.WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(5) : job.WithWarmupCount(5).WithIterationCount(15);
    var config = DefaultConfig.Instance.AddJob(job).WithOptions(ConfigOptions.JoinSummary);

    // Without a filter BenchmarkDotNet asks interactively which benchmarks to run: never wait for a keyboard.
    var hasFilter = benchmarkArgs.Any(a => a is "--filter" or "-f" || a.StartsWith("--filter=", StringComparison.Ordinal));
    string[] filter = hasFilter ? [] : ["--filter", quick ? "*ParseAndEnvelope*" : "*"];
    BenchmarkSwitcher.FromTypes([typeof(ReceiverCpuBenchmarks)]).Run([.. benchmarkArgs, .. filter], config);
}
