using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using SwUpgrade.Cli.Commands;

namespace SwUpgrade.Cli.Simulation;

/// <summary>
/// <c>swupgrade simulate</c>: acts as the platform towards a callback URL (see <see cref="PushSimulator"/>), then
/// optionally checks the status API (<see cref="StatusVerifier"/>).
/// </summary>
public static class SimulateCommand
{
    public const string DefaultTarget = "http://127.0.0.1:7071/v1.0.0/messageReceiver";
    public const string FunctionKeyEnv = "SWUPGRADE_FUNCTION_KEY";

    /// <summary>Some pushes were not answered 200, or not sent within the maximum duration.</summary>
    public const int ExitPushesFailed = ExitCodes.PushesFailed;

    /// <summary>With --verify: some devices did not reach their final phase in the status API.</summary>
    public const int ExitVerificationFailed = ExitCodes.VerificationFailed;

    public static Command Create(CliContext context, GlobalOptions global)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(global);
        var target = new Option<string>("--target")
        {
            Description = $"The callback URL to push to (default {DefaultTarget}). Loopback only unless --allow-remote.",
            HelpName = "URL",
            DefaultValueFactory = _ => DefaultTarget,
        };
        var devices = new Option<int>("--devices")
        {
            Description = $"Devices in the upgrade task, 1 to {SimulationOptions.MaxDevices}; each sends 5 pushes.",
            DefaultValueFactory = _ => 100,
        };
        var rate = new Option<double>("--rate")
        {
            Description = $"Target pushes per second, up to {SimulationOptions.MaxRate} (the platform drains a backlog at up to 800/s).",
            DefaultValueFactory = _ => 100,
        };
        var kind = new Option<FleetKind>("--kind")
        {
            Description = "Software, Firmware or Mixed upgrade notifications.",
            DefaultValueFactory = _ => FleetKind.Software,
        };
        var duplicates = new Option<double>("--duplicates")
        {
            Description = "Share of pushes sent twice (0-1), the copy one or two waves later.",
        };
        var reorder = new Option<double>("--reorder")
        {
            Description = "Share of devices with two consecutive pushes swapped (0-1).",
        };
        var fail = new Option<double>("--fail")
        {
            Description = "Share of devices whose upgrade ends with FAIL (0-1).",
        };
        var seed = new Option<int>("--seed")
        {
            Description = "Seed of the random choices; the same seed gives the same schedule.",
            DefaultValueFactory = _ => 1,
        };
        var operationId = new Option<string?>("--operation-id")
        {
            Description = "The upgrade task's operationId (default: a new one per run).",
        };
        var concurrency = new Option<int>("--concurrency")
        {
            Description = $"Pushes in flight at most, 1 to {SimulationOptions.MaxConcurrency}.",
            DefaultValueFactory = _ => 64,
        };
        var maxDuration = new Option<double>("--max-duration")
        {
            Description = $"Stop sending after this many seconds (at most {SimulationOptions.MaxDurationLimit.TotalSeconds:0}).",
            DefaultValueFactory = _ => 300,
        };
        var allowRemote = new Option<bool>("--allow-remote")
        {
            Description = "Allow a target or status URL that is not on this machine.",
        };
        var verify = new Option<bool>("--verify")
        {
            Description = "Afterwards, query the status API until every device reached its final phase (nothing lost).",
        };
        var statusUrl = new Option<string?>("--status-url")
        {
            Description = "The status API's base URL (default: the target's scheme, host and port).",
            HelpName = "URL",
        };
        var functionKey = new Option<string?>("--function-key")
        {
            Description = $"Function key for the status API (or {FunctionKeyEnv}).",
            HelpName = "KEY",
        };
        var verifyTimeout = new Option<double>("--verify-timeout")
        {
            Description = "Seconds to wait for the processor to catch up before verification fails.",
            DefaultValueFactory = _ => 60,
        };
        var appId = new Option<string?>("--app-id")
        {
            Description = $"The appId the pushes carry (default: {GlobalOptions.AppIdEnv}, else swupgrade-simulator). The receiver's allow-list (Receiver__AllowedAppIds) must accept it, or every push gets 403.",
            HelpName = "ID",
        };
        var json = new Option<bool>("--json")
        {
            Description = "Write the report as JSON to stdout.",
        };
        var clientCert = new Option<string?>(PresentedCertificate.Flag)
        {
            Description = "Present this certificate (PEM, or PFX with its password in SWUPGRADE_CLIENT_CERT_PASSWORD) as the platform does "
                + $"with \"Use Device Certificate\" on: to a target on this machine in the {PresentedCertificate.ForwardedHeader} header, as Azure's "
                + "front end forwards it; to a remote target in the TLS handshake.",
            HelpName = "FILE",
        };

        var command = new Command("simulate",
            "Act as the platform: push a fleet's upgrade lifecycles to a callback URL at a target rate, report the rate, "
            + $"latency percentiles and the pushes not answered 200; with --verify check the status API. Exit codes: 0 ok, 2 bad arguments, "
            + $"{ExitPushesFailed} pushes not answered 200 (or nothing listening at the target), {ExitVerificationFailed} verification failed "
            + $"(or the status API could not be read), {ExitCodes.Cancelled} cancelled (Ctrl+C); every run ends with the summary of what was sent.")
        {
            target, devices, rate, kind, duplicates, reorder, fail, seed, operationId, concurrency, maxDuration,
            allowRemote, verify, statusUrl, functionKey, verifyTimeout, appId, json, clientCert,
        };

        command.SetAction(async (parse, ct) =>
        {
            var problems = new List<string>();
            var targetUri = ParseUrl(parse.GetValue(target), "--target", problems) ?? new Uri(DefaultTarget);
            var statusUri = parse.GetValue(statusUrl) is { } s ? ParseUrl(s, "--status-url", problems) : null;
            string? certProblem = null;
            using var certificate = parse.GetValue(clientCert) is { } certPath
                ? PresentedCertificate.Load(certPath, context.Env(GlobalOptions.ClientCertPasswordEnv), out certProblem)
                : null;
            if (certProblem is not null)
            {
                problems.Add(certProblem);
            }
            var options = new SimulationOptions
            {
                Target = targetUri,
                Devices = parse.GetValue(devices),
                Rate = parse.GetValue(rate),
                Kind = parse.GetValue(kind),
                DuplicateRatio = parse.GetValue(duplicates),
                ReorderRatio = parse.GetValue(reorder),
                FailRatio = parse.GetValue(fail),
                Seed = parse.GetValue(seed),
                AppId = parse.GetValue(appId) ?? context.Env(GlobalOptions.AppIdEnv) ?? "swupgrade-simulator",
                OperationId = parse.GetValue(operationId) ?? $"sim-{Guid.NewGuid():N}",
                Concurrency = parse.GetValue(concurrency),
                MaxDuration = Seconds(parse.GetValue(maxDuration)),
                AllowRemote = parse.GetValue(allowRemote),
                Verify = parse.GetValue(verify),
                StatusBaseUrl = statusUri,
                FunctionKey = parse.GetValue(functionKey) ?? context.Env(FunctionKeyEnv),
                VerifyTimeout = Seconds(parse.GetValue(verifyTimeout)),
                ClientCertificate = certificate,
            };
            problems.AddRange(options.Validate());
            if (problems.Count > 0)
            {
                foreach (var problem in problems)
                {
                    await context.Stderr.WriteLineAsync("swupgrade: error: " + problem).ConfigureAwait(false);
                }

                return ExitCodes.BadArguments;
            }

            return await RunAsync(context, options, parse.GetValue(json), ct).ConfigureAwait(false);
        });
        return command;
    }

    public static async Task<int> RunAsync(CliContext context, SimulationOptions options, bool json, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(options);
        var output = context.Stdout;
        var schedule = FleetSchedule.Create(options);
        using var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = options.Concurrency,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };
        if (options.ClientCertificate is { HasPrivateKey: true } && options.ForwardedClientCertificate is null)
        {
            handler.SslOptions.ClientCertificates = [options.ClientCertificate];
        }

        using var http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        if (!json)
        {
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"Simulating {options.Devices} devices ({options.Kind}) of operation {options.OperationId}: " +
                $"{schedule.Pushes.Count} pushes ({schedule.Duplicates} duplicates, {schedule.ReorderedDevices} devices reordered) " +
                $"to {options.Target} at {options.Rate:0.#}/s, concurrency {options.Concurrency}, at most {options.MaxDuration.TotalSeconds:0} s.")).ConfigureAwait(false);
        }

        var result = await new PushSimulator(http, context.TimeProvider).RunAsync(options, schedule, null, ct).ConfigureAwait(false);
        VerificationResult? verification = null;
        string? verifyError = null;
        var cancelled = result.Cancelled;
        if (options.Verify && !cancelled)
        {
            try
            {
                verification = await new StatusVerifier(http, context.TimeProvider).VerifyAsync(options.EffectiveStatusBaseUrl,
                    options.FunctionKey, options.OperationId, schedule.Expected, options.VerifyTimeout, TimeSpan.FromSeconds(1), ct)
                    .ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                cancelled = true;
            }
            catch (StatusApiException e)
            {
                verifyError = e.Message;
            }
        }

        if (json)
        {
            var node = ToJson(options, schedule, result, verification);
            node["cancelled"] = cancelled;
            if (verifyError is not null)
            {
                node["ok"] = false;
                node["verifyError"] = verifyError;
            }

            await output.WriteLineAsync(node.ToJsonString(CommandRunner.JsonOutput)).ConfigureAwait(false);
        }
        else
        {
            await WriteTextAsync(output, options, result, verification).ConfigureAwait(false);
        }

        if (verifyError is not null)
        {
            await context.Stderr.WriteLineAsync("swupgrade: error: " + verifyError).ConfigureAwait(false);
        }

        if (cancelled)
        {
            await context.Stderr.WriteLineAsync("swupgrade: cancelled; the summary above covers what was sent until then.").ConfigureAwait(false);
            return ExitCodes.Cancelled;
        }

        if (result.StoppedAfterConnectionFailures > 0)
        {
            await context.Stderr.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"swupgrade: error: stopped after {result.StoppedAfterConnectionFailures} pushes in a row could not connect to {options.Target}: is the function app running at {options.Target.GetLeftPart(UriPartial.Authority)}?"))
                .ConfigureAwait(false);
        }

        if (!result.AllOk)
        {
            return ExitPushesFailed;
        }

        return verifyError is not null || verification is { AllReached: false } ? ExitVerificationFailed : ExitCodes.Ok;
    }

    /// <summary>At most this many failed pushes are listed one by one in the text report; JSON lists them all.</summary>
    public const int FailuresListed = 20;

    private static async Task WriteTextAsync(TextWriter output, SimulationOptions options, SimulationResult result, VerificationResult? verification)
    {
        var stopped = result.Cancelled ? " Cancelled."
            : result.StoppedAfterConnectionFailures > 0 ? " Stopped: nothing is accepting connections at the target."
            : result.StoppedByDuration ? " Stopped at the maximum duration." : "";
        var latency = result.Answered == 0
            ? "no push was answered, so there is no latency"
            : string.Create(CultureInfo.InvariantCulture, $"latency of the {result.Answered} answered: p50 {result.P50Ms:0.0} ms, p95 {result.P95Ms:0.0} ms, p99 {result.P99Ms:0.0} ms");
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"Sent {result.Sent} of {result.Scheduled} pushes to {options.Target} in {result.Elapsed.TotalSeconds:0.00} s: {result.AchievedRate:0.0}/s " +
            $"(target {result.TargetRate:0.#}/s); {latency}.{stopped}"))
            .ConfigureAwait(false);
        var byStatus = result.Failures.Count == 0
            ? "."
            : " (" + string.Join(", ", result.Failures.GroupBy(f => f.StatusCode).OrderBy(g => g.Key)
                .Select(g => $"{StatusText(g.Key)}: {g.Count()}")) + ").";
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"Answered 200: {result.Ok}; not 200: {result.Failures.Count}{byStatus}")).ConfigureAwait(false);
        foreach (var f in result.Failures.Take(FailuresListed))
        {
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"  push #{f.Push.Sequence} {f.Push.NotifyType} {f.Push.Value} device {f.Push.DeviceId}: " +
                $"{StatusText(f.StatusCode)} {f.Detail}")).ConfigureAwait(false);
        }

        if (result.Failures.Count > FailuresListed)
        {
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"  ... and {result.Failures.Count - FailuresListed} more (--json lists every one).")).ConfigureAwait(false);
        }

        if (verification is not null)
        {
            var verdict = verification.AllReached ? ": nothing lost." : $"; {verification.Missing} unknown to the status API.";
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"Verify: {verification.Reached} of {verification.Expected} devices reached their final phase{verdict}")).ConfigureAwait(false);
            foreach (var m in verification.Mismatches)
            {
                await output.WriteLineAsync(
                    $"  device {m.DeviceId} (sub-task {m.SubOperationId}): expected {m.ExpectedPhase}, status API shows {m.ActualPhase ?? "nothing"}")
                    .ConfigureAwait(false);
            }
        }
    }

    private static JsonObject ToJson(SimulationOptions options, FleetSchedule schedule, SimulationResult result,
        VerificationResult? verification)
    {
        var node = new JsonObject
        {
            ["ok"] = result.AllOk && verification is not { AllReached: false },
            ["operationId"] = options.OperationId,
            ["devices"] = options.Devices,
            ["scheduled"] = result.Scheduled,
            ["duplicates"] = schedule.Duplicates,
            ["reorderedDevices"] = schedule.ReorderedDevices,
            ["sent"] = result.Sent,
            ["answered200"] = result.Ok,
            ["seconds"] = Math.Round(result.Elapsed.TotalSeconds, 3),
            ["targetRate"] = result.TargetRate,
            ["achievedRate"] = Math.Round(result.AchievedRate, 1),
            ["p50Ms"] = Round(result.P50Ms),
            ["p95Ms"] = Round(result.P95Ms),
            ["p99Ms"] = Round(result.P99Ms),
            ["answered"] = result.Answered,
            ["stoppedAfterConnectionFailures"] = result.StoppedAfterConnectionFailures,
            ["stoppedByDuration"] = result.StoppedByDuration,
            ["failures"] = new JsonArray([.. result.Failures.Select(f => (JsonNode)new JsonObject
            {
                ["sequence"] = f.Push.Sequence,
                ["deviceId"] = f.Push.DeviceId,
                ["notifyType"] = f.Push.NotifyType,
                ["value"] = f.Push.Value,
                ["status"] = f.StatusCode,
                ["detail"] = f.Detail,
            })]),
        };
        if (verification is not null)
        {
            node["verify"] = new JsonObject
            {
                ["expected"] = verification.Expected,
                ["reached"] = verification.Reached,
                ["missing"] = verification.Missing,
                ["mismatches"] = new JsonArray([.. verification.Mismatches.Select(m => (JsonNode)new JsonObject
                {
                    ["deviceId"] = m.DeviceId,
                    ["subOperationId"] = m.SubOperationId,
                    ["expected"] = m.ExpectedPhase,
                    ["actual"] = m.ActualPhase,
                })]),
            };
        }

        return node;
    }

    private static string StatusText(int status) =>
        status == 0 ? "no answer" : status.ToString(CultureInfo.InvariantCulture);

    private static double? Round(double value) => double.IsNaN(value) ? null : Math.Round(value, 2);

    private static TimeSpan Seconds(double value) =>
        double.IsNaN(value) || value <= 0 || value > SimulationOptions.MaxDurationLimit.TotalSeconds
            ? TimeSpan.Zero
            : TimeSpan.FromSeconds(value);

    private static Uri? ParseUrl(string? text, string option, List<string> problems)
    {
        if (Uri.TryCreate(text, UriKind.Absolute, out var uri))
        {
            return uri;
        }

        problems.Add($"{option} must be an absolute URL.");
        return null;
    }
}
