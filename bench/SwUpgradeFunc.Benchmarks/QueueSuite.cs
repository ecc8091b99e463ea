using System.Diagnostics;
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
/// includes everything the function does but not Kestrel or the Functions host. A third variant per round runs the
/// receiver with <c>Receiver:ClientCertificate:Mode</c> = <c>required</c>, trusting a CA made here, every push
/// presenting the same leaf in <see cref="ClientCertificateCheck.HeaderName"/> as the platform does.
/// </summary>
internal static class QueueSuite
{
    public const double TargetRatio = 0.9;

    /// <summary>How far the check-on median ratio may fall below the check-off one: "within 5 %".</summary>
    public const double CertificateCheckTolerance = 0.05;

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

        var (caPem, leafHeader) = BenchCertificates.CaAndLeafHeader();

        var results = new List<LoadResult>();
        var ratios = new List<double>();
        var checkedRatios = new List<double>();
        var warm = true;
        for (var round = 1; round <= settings.Rounds; round++)
        {
            // Every run gets a fresh queue, left in place afterwards: deleting an Azurite queue that holds thousands of
            // messages can take minutes, and the in-memory Azurite is discarded at the end anyway.
            // Rotate the order so that none always runs on a warmer (or fuller) Azurite.
            string[] order = ["bare", "receiver", "checked"];
            var shift = (round - 1) % order.Length;
            LoadResult? bare = null, path = null, checkedPath = null;
            var ran = new List<string>();
            foreach (var which in order[shift..].Concat(order[..shift]))
            {
                ran.Add(which);
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
                else if (which == "checked")
                {
                    await using var provider = ReceiverServices(azurite.ConnectionString, queueName, caPem);
                    await provider.GetRequiredService<QueueServiceClient>().GetQueueClient(queueName).CreateAsync(cancellationToken: Admin.Token());
                    var function = ActivatorUtilities.CreateInstance<MessageReceiverFunction>(provider);
                    await EnsureRefusedWithoutCertificateAsync(function, bodies[0]);
                    if (warm)
                    {
                        EnsureAllAccepted(await LoadRun.RunAsync("warm-up", 500, settings.Concurrency, settings.RunLimit,
                            (i, ct) => CallFunctionAsync(function, bodies[i % bodies.Length], ct, leafHeader)));
                    }

                    Report.Progress($"receiver with client certificate required, round {round}");
                    checkedPath = EnsureAllAccepted(await LoadRun.RunAsync($"receiver, certificate required #{round}",
                        settings.Count, settings.Concurrency, settings.RunLimit,
                        (i, ct) => CallFunctionAsync(function, bodies[i % bodies.Length], ct, leafHeader)));
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
            results.AddRange(ran.Select(which => which switch { "bare" => bare!, "receiver" => path!, _ => checkedPath! }));
            ratios.Add(path!.PerSecond / bare!.PerSecond);
            checkedRatios.Add(checkedPath!.PerSecond / bare.PerSecond);
        }

        // Both receivers in one run, the pushes alternating between them: whatever the machine and Azurite do at a moment
        // they do to both, so the ratio of their per-push times is free of the round-to-round swings of the runs above.
        var (pushes, offMs, onMs) = await InterleavedAsync(azurite.ConnectionString, bodies, caPem, leafHeader, settings);

        report.Results(results);
        var ratio = Report.Median(ratios);
        var pathRate = Report.Median(results.Where(r => r.Name.StartsWith("receiver (", StringComparison.Ordinal)).Select(r => r.PerSecond));
        var checkedRate = Report.Median(results.Where(r => r.Name.StartsWith("receiver, certificate", StringComparison.Ordinal)).Select(r => r.PerSecond));
        var bareRate = Report.Median(results.Where(r => r.Name.StartsWith("bare", StringComparison.Ordinal)).Select(r => r.PerSecond));
        report.Line(string.Create(CultureInfo.InvariantCulture,
            $"receiver/bare throughput ratio per round: {string.Join(", ", ratios.Select(r => r.ToString("0.00", CultureInfo.InvariantCulture)))}; " +
            $"median {ratio:0.00} (target >= {TargetRatio:0.0}: {(ratio >= TargetRatio ? "met" : "MISSED")}); " +
            $"median rates: receiver {pathRate:0}/s, bare {bareRate:0}/s"));
        var checkedRatio = Report.Median(checkedRatios);
        var withinTolerance = checkedRatio >= ratio * (1 - CertificateCheckTolerance);
        report.Line(string.Create(CultureInfo.InvariantCulture,
            $"receiver with client certificate required/bare ratio per round: " +
            $"{string.Join(", ", checkedRatios.Select(r => r.ToString("0.00", CultureInfo.InvariantCulture)))}; " +
            $"median {checkedRatio:0.00}, {checkedRatio / ratio - 1:+0.0%;-0.0%} against the check-off median " +
            $"(within {CertificateCheckTolerance:0%}: {(withinTolerance ? "yes" : "NO")}); median rate {checkedRate:0}/s"));
        var checkCost = onMs / offMs - 1;
        report.Line(string.Create(CultureInfo.InvariantCulture,
            $"interleaved, {pushes} pushes alternating between the two receivers: median time per push {offMs:0.00} ms with the check off, " +
            $"{onMs:0.00} ms with it required, {checkCost:+0.0%;-0.0%} (within {CertificateCheckTolerance:0%}: " +
            $"{(checkCost <= CertificateCheckTolerance ? "yes" : "NO")})"));
        report.Save();
        return results.Any(r => r.Failed > 0 || r.Completed < settings.Count) ? 1 : 0;
    }

    /// <summary>
    /// One load run over the receiver with the check off and the receiver with it required, writing to the same queue,
    /// even pushes to the one and odd pushes to the other; the median time per push of each.
    /// </summary>
    private static async Task<(int Pushes, double OffMs, double OnMs)> InterleavedAsync(string connectionString, byte[][] bodies,
        string caPem, string leafHeader, LoadSettings settings)
    {
        var queueName = $"bench-mixed-{Guid.NewGuid():N}"[..40];
        await using var off = ReceiverServices(connectionString, queueName);
        await using var on = ReceiverServices(connectionString, queueName, caPem);
        await off.GetRequiredService<QueueServiceClient>().GetQueueClient(queueName).CreateAsync(cancellationToken: Admin.Token());
        var withoutCheck = ActivatorUtilities.CreateInstance<MessageReceiverFunction>(off);
        var withCheck = ActivatorUtilities.CreateInstance<MessageReceiverFunction>(on);

        Func<int, CancellationToken, Task> Alternating(double[] times) => async (i, ct) =>
        {
            var started = Stopwatch.GetTimestamp();
            await (i % 2 == 0
                ? CallFunctionAsync(withoutCheck, bodies[i % bodies.Length], ct)
                : CallFunctionAsync(withCheck, bodies[i % bodies.Length], ct, leafHeader)).ConfigureAwait(false);
            times[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        };

        await LoadRun.RunAsync("warm-up", 500, settings.Concurrency, settings.RunLimit, Alternating(new double[500]));
        Report.Progress("both receivers, interleaved");
        var times = new double[settings.Count];
        var run = await LoadRun.RunAsync("receivers interleaved", settings.Count, settings.Concurrency, settings.RunLimit, Alternating(times));
        if (run.Failed > 0 || run.Completed < settings.Count)
        {
            throw new InvalidOperationException(
                $"The interleaved run answered {run.Completed} of {settings.Count} pushes 200; first failure: {run.FirstError}");
        }

        return (run.Completed, Report.Median(times.Where((_, i) => i % 2 == 0)), Report.Median(times.Where((_, i) => i % 2 == 1)));
    }

    /// <summary>
    /// Stops the suite when a push with the certificate failed: a refused push costs no enqueue, so counting the run
    /// would make the check look free.
    /// </summary>
    private static LoadResult EnsureAllAccepted(LoadResult run) =>
        run.Failed == 0
            ? run
            : throw new InvalidOperationException(
                $"{run.Name}: {run.Failed} of the pushes with the client certificate were not accepted; first: {run.FirstError}");

    /// <summary>Proves the check is on in this variant: the same push without the certificate is refused.</summary>
    private static async Task EnsureRefusedWithoutCertificateAsync(MessageReceiverFunction function, byte[] body)
    {
        try
        {
            await CallFunctionAsync(function, body, Admin.Token());
        }
        catch (InvalidOperationException)
        {
            return;
        }

        throw new InvalidOperationException("The receiver meant to require a client certificate accepted a push without one.");
    }

    private static async Task CallFunctionAsync(MessageReceiverFunction function, byte[] body, CancellationToken ct,
        string? clientCertificateHeader = null)
    {
        var context = new DefaultHttpContext();
        if (clientCertificateHeader is not null)
        {
            context.Request.Headers[ClientCertificateCheck.HeaderName] = clientCertificateHeader;
        }

        context.Request.Method = "POST";
        context.Request.ContentType = "application/json";
        context.Request.ContentLength = body.Length;
        context.Request.Body = new MemoryStream(body, writable: false);
        var answer = (HttpAnswer)await function.Run(context.Request, ct).ConfigureAwait(false);
        if (answer.StatusCode != StatusCodes.Status200OK)
        {
            throw new InvalidOperationException(clientCertificateHeader is null
                ? $"The receiver answered {answer.StatusCode}."
                : $"The receiver with the client certificate required answered {answer.StatusCode}.");
        }
    }

    private static ServiceProvider ReceiverServices(string connectionString, string queueName, string? caPem = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["SwUpgradeStorage"] = connectionString,
            ["NotificationsQueueName"] = queueName,
            ["Receiver:AllowedAppIds"] = SamplePushes.AppId,
        };
        if (caPem is not null)
        {
            settings[$"{ClientCertificateOptions.Section}:Mode"] = ClientCertificateOptions.Required;
            settings[$"{ClientCertificateOptions.Section}:CaCertificates"] = caPem;
        }

        return AppServices.Build(settings);
    }
}
