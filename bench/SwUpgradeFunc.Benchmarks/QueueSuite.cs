using System.Globalization;
using Azure.Storage.Queues;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using SwUpgradeFunc.Functions;
using SwUpgradeFunc.Notifications;
using SwUpgradeFunc.Platform;
using SwUpgradeFunc.Receiving;

namespace SwUpgradeFunc.Benchmarks;

/// <summary>
/// The receiver path against Azurite versus a bare <see cref="QueueClient.SendMessageAsync(BinaryData, TimeSpan?, TimeSpan?, CancellationToken)"/>
/// at the same concurrency, in one run against one Azurite. The receiver path is the HTTP function's own code
/// (<see cref="MessageReceiverFunction.Run"/> on a request built in memory, with the app's DI registrations), so it
/// includes everything the function does but not Kestrel or the Functions host.
/// </summary>
internal static class QueueSuite
{
    public const double TargetRatio = 0.9;

    public static async Task<int> RunAsync(LoadSettings settings, string command)
    {
        using var azurite = AzuriteProcess.Start(settings.OnDisk);
        var report = new Report("queue");
        report.Header(command, azurite.Description, settings.ToString());

        // The receiver's bodies: swUpgradeStateChangeNotify over many devices, the most frequent push.
        var bodies = Enumerable.Range(0, 1000)
            .Select(i => SamplePushes.Body(NotifyTypes.SwUpgradeStateChange, i, i % 2 == 0 ? "downloading" : "updating"))
            .ToArray();
        // The baseline sends what the receiver would send, already serialised: the same size on the wire.
        var envelopes = bodies
            .Select(b => NotificationEnvelope.Create(NotificationParser.Parse(b).Notification!, DateTimeOffset.UtcNow).ToBinaryData())
            .ToArray();

        var baseline = new QueueServiceClient(azurite.ConnectionString,
            new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });

        var results = new List<LoadResult>();
        var ratios = new List<double>();
        var warm = true;
        for (var round = 1; round <= settings.Rounds; round++)
        {
            // Every run gets a fresh queue, left in place afterwards: deleting an Azurite queue that holds thousands of
            // messages can take minutes, and the in-memory Azurite is discarded at the end anyway.
            // Alternate which goes first so that neither always runs on a warmer (or fuller) Azurite.
            var receiverFirst = round % 2 == 0;
            LoadResult? bare = null, path = null;
            foreach (var which in receiverFirst ? new[] { "receiver", "bare" } : ["bare", "receiver"])
            {
                var queueName = $"bench-{which}-{round}-{Guid.NewGuid():N}"[..40];
                if (which == "bare")
                {
                    var queue = baseline.GetQueueClient(queueName);
                    await queue.CreateAsync(cancellationToken: Admin.Token());
                    if (warm)
                    {
                        await LoadRun.RunAsync("warm-up", 500, settings.Concurrency, settings.RunLimit,
                            (i, ct) => queue.SendMessageAsync(envelopes[i % envelopes.Length], cancellationToken: ct));
                    }

                    Report.Progress($"bare SendMessageAsync, round {round}");
                    bare = await LoadRun.RunAsync($"bare SendMessageAsync #{round}", settings.Count, settings.Concurrency,
                        settings.RunLimit, (i, ct) => queue.SendMessageAsync(envelopes[i % envelopes.Length], cancellationToken: ct));
                }
                else
                {
                    await using var provider = ReceiverServices(azurite.ConnectionString, queueName);
                    await provider.GetRequiredService<QueueServiceClient>().GetQueueClient(queueName).CreateAsync(cancellationToken: Admin.Token());
                    var function = ActivatorUtilities.CreateInstance<MessageReceiverFunction>(provider);
                    if (warm)
                    {
                        await LoadRun.RunAsync("warm-up", 500, settings.Concurrency, settings.RunLimit,
                            (i, ct) => CallFunctionAsync(function, bodies[i % bodies.Length], ct));
                    }

                    Report.Progress($"receiver, round {round}");
                    path = await LoadRun.RunAsync($"receiver (function code) #{round}", settings.Count, settings.Concurrency,
                        settings.RunLimit, (i, ct) => CallFunctionAsync(function, bodies[i % bodies.Length], ct));
                }
            }

            warm = false;
            results.Add(bare!);
            results.Add(path!);
            ratios.Add(path!.PerSecond / bare!.PerSecond);
        }

        report.Results(results);
        var ratio = Report.Median(ratios);
        var pathRate = Report.Median(results.Where(r => r.Name.StartsWith("receiver", StringComparison.Ordinal)).Select(r => r.PerSecond));
        var bareRate = Report.Median(results.Where(r => r.Name.StartsWith("bare", StringComparison.Ordinal)).Select(r => r.PerSecond));
        report.Line(string.Create(CultureInfo.InvariantCulture,
            $"receiver/bare throughput ratio per round: {string.Join(", ", ratios.Select(r => r.ToString("0.00", CultureInfo.InvariantCulture)))}; " +
            $"median {ratio:0.00} (target >= {TargetRatio:0.0}: {(ratio >= TargetRatio ? "met" : "MISSED")}); " +
            $"median rates: receiver {pathRate:0}/s, bare {bareRate:0}/s"));
        report.Save();
        return results.Any(r => r.Failed > 0 || r.Completed < settings.Count) ? 1 : 0;
    }

    private static async Task CallFunctionAsync(MessageReceiverFunction function, byte[] body, CancellationToken ct)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "POST";
        context.Request.ContentType = "application/json";
        context.Request.ContentLength = body.Length;
        context.Request.Body = new MemoryStream(body, writable: false);
        var answer = (HttpAnswer)await function.Run(context.Request, ct).ConfigureAwait(false);
        if (answer.StatusCode != StatusCodes.Status200OK)
        {
            throw new InvalidOperationException($"The receiver answered {answer.StatusCode}.");
        }
    }

    private static ServiceProvider ReceiverServices(string connectionString, string queueName) =>
        AppServices.Build(new Dictionary<string, string?>
        {
            ["SwUpgradeStorage"] = connectionString,
            ["NotificationsQueueName"] = queueName,
            ["Receiver:AllowedAppIds"] = SamplePushes.AppId,
        });
}
