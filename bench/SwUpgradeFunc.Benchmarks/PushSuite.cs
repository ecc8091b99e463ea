using System.Globalization;
using Azure.Storage.Queues;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SwUpgrade.Cli.Simulation;
using SwUpgradeFunc.Functions;

namespace SwUpgradeFunc.Benchmarks;

/// <summary>
/// The platform's view: the simulator (<see cref="PushSimulator"/>, as <c>swupgrade simulate</c> runs it) pushes a
/// fleet's lifecycles over HTTP to the receiver function hosted on Kestrel on 127.0.0.1 (the way the tests host it;
/// the Functions host itself cannot run here), which stores them on an Azurite queue. Two runs: paced at the target
/// rate (the platform's backlog drain, 800/s), then unpaced (the simulator's maximum rate) to find the ceiling.
/// </summary>
internal static class PushSuite
{
    public static async Task<int> RunAsync(LoadSettings settings, string command)
    {
        using var azurite = AzuriteProcess.Start(settings.OnDisk);
        var report = new Report("push");
        report.Header(command, azurite.Description, string.Create(CultureInfo.InvariantCulture,
            $"{settings.Count} pushes per run ({settings.Count / FleetSchedule.LifecycleLength} devices x 5), at most {settings.Concurrency} in flight, " +
            $"paced at {settings.Rate:0}/s, then unpaced; each run capped at {settings.RunLimit.TotalSeconds:0} s"));
        report.Line("| run | pushes | sent | answered 200 | not 200 | seconds | achieved per second | p50 ms | p95 ms | p99 ms | on the queue |");
        report.Line("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");

        var failed = false;
        var runs = new[] { ($"paced at {settings.Rate:0}/s", settings.Rate), ("unpaced", SimulationOptions.MaxRate) };
        var warm = true;
        foreach (var (name, rate) in runs)
        {
            var queueName = $"bench-push-{Guid.NewGuid():N}"[..32];
            await using var app = await StartReceiverAsync(azurite.ConnectionString, queueName);
            var target = new Uri(new Uri(app.Urls.First()), MessageReceiverFunction.Route);
            using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = settings.Concurrency };
            using var http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
            var simulator = new PushSimulator(http);
            if (warm)
            {
                var warmUp = Options(target, 100, SimulationOptions.MaxRate, settings);
                await simulator.RunAsync(warmUp, FleetSchedule.Create(warmUp));
                warm = false;
            }

            var queue = new QueueClient(azurite.ConnectionString, queueName);
            var before = (await queue.GetPropertiesAsync(Admin.Token())).Value.ApproximateMessagesCount;
            var options = Options(target, Math.Max(1, settings.Count / FleetSchedule.LifecycleLength), rate, settings);
            var schedule = FleetSchedule.Create(options);
            var result = await simulator.RunAsync(options, schedule);
            var stored = (await queue.GetPropertiesAsync(Admin.Token())).Value.ApproximateMessagesCount - before;
            report.Line(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {result.Scheduled} | {result.Sent} | {result.Ok} | {result.Failures.Count} | {result.Elapsed.TotalSeconds:0.00} | " +
                $"{result.AchievedRate:0} | {result.P50Ms:0.0} | {result.P95Ms:0.0} | {result.P99Ms:0.0} | {stored} |"));
            foreach (var group in result.Failures.GroupBy(f => f.StatusCode))
            {
                report.Line($"- {name}: {group.Count()} answered {(group.Key == 0 ? "nothing" : group.Key)}; first: {group.First().Detail}");
            }

            failed |= !result.AllOk || stored != result.Ok;
        }

        report.Line();
        report.Line("on the queue = messages the run added to the notifications queue; it equals the 200s when nothing is lost.");
        report.Save();
        return failed ? 1 : 0;
    }

    private static SimulationOptions Options(Uri target, int devices, double rate, LoadSettings settings) => new()
    {
        Target = target,
        Devices = devices,
        Rate = rate,
        Concurrency = settings.Concurrency,
        MaxDuration = settings.RunLimit,
        AppId = SamplePushes.AppId,
        Seed = 1,
    };

    private static async Task<WebApplication> StartReceiverAsync(string connectionString, string queueName)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration["SwUpgradeStorage"] = connectionString;
        builder.Configuration["NotificationsQueueName"] = queueName;
        builder.Configuration["Receiver:AllowedAppIds"] = SamplePushes.AppId;
        builder.Logging.ClearProviders();
        builder.Services.AddSwUpgradeFunc(builder.Configuration);
        var app = builder.Build();
        app.MapPost("/" + MessageReceiverFunction.Route, async (HttpContext context) =>
        {
            var function = ActivatorUtilities.CreateInstance<MessageReceiverFunction>(context.RequestServices);
            var answer = (HttpAnswer)await function.Run(context.Request, context.RequestAborted);
            await answer.WriteAsync(context.Response);
        });
        await app.StartAsync();
        await new QueueClient(connectionString, queueName).CreateIfNotExistsAsync(cancellationToken: Admin.Token());
        return app;
    }
}
