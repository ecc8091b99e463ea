using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;

namespace SwUpgrade.Cli.Simulation;

/// <summary>A push that was not answered 200: its status code, or 0 with the error when there was no answer.</summary>
public sealed record FailedPush(ScheduledPush Push, int StatusCode, string Detail);

/// <summary>What a run achieved.</summary>
public sealed record SimulationResult(
    int Scheduled,
    int Sent,
    int Ok,
    IReadOnlyList<FailedPush> Failures,
    TimeSpan Elapsed,
    double TargetRate,
    double P50Ms,
    double P95Ms,
    double P99Ms,
    bool StoppedByDuration)
{
    /// <summary>Sending stopped because this many pushes in a row could not connect to the target.</summary>
    public int StoppedAfterConnectionFailures { get; init; }

    /// <summary>Sending stopped because the run was cancelled (Ctrl+C).</summary>
    public bool Cancelled { get; init; }

    /// <summary>Pushes that got an HTTP answer (any status); the latency percentiles cover these only.</summary>
    public int Answered { get; init; }

    /// <summary>Pushes answered (with any status) per second over the run.</summary>
    public double AchievedRate => Elapsed > TimeSpan.Zero ? Sent / Elapsed.TotalSeconds : 0;

    public bool AllOk => Ok == Scheduled;
}

/// <summary>
/// Acts as the platform: sends the scheduled pushes to the callback URL at the target rate with at most the configured
/// number in flight, and records each answer's latency. It never sends after the run's maximum duration.
/// </summary>
public sealed class PushSimulator(HttpClient http, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public async Task<SimulationResult> RunAsync(SimulationOptions options, FleetSchedule schedule,
        IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(schedule);
        var latencies = new LatencyRecorder();
        var failures = new List<FailedPush>();
        var ok = 0;
        var sent = 0;
        var answered = 0;
        var connectionFailuresInARow = 0;
        var stopped = false;
        using var gate = new SemaphoreSlim(options.Concurrency, options.Concurrency);
        var forwarded = options.ForwardedClientCertificate;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var started = _time.GetTimestamp();

        try
        {
            foreach (var push in schedule.Pushes)
            {
                var wait = Pacer.DueAt(push.Sequence, options.Rate) - _time.GetElapsedTime(started);
                if (wait > TimeSpan.FromMilliseconds(1))
                {
                    await Task.Delay(wait < options.MaxDuration ? wait : options.MaxDuration, _time, stop.Token)
                        .ConfigureAwait(false);
                }

                await gate.WaitAsync(stop.Token).ConfigureAwait(false);
                if (_time.GetElapsedTime(started) >= options.MaxDuration)
                {
                    gate.Release();
                    stopped = true;
                    break;
                }

                _ = SendAsync(push);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Ctrl+C, or the target refused connections too often: stop sending, report what was sent.
        }

        // Drain: every slot back means every push in flight has its answer.
        for (var i = 0; i < options.Concurrency; i++)
        {
            await gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        }

        var total = _time.GetElapsedTime(started);
        var cancelled = cancellationToken.IsCancellationRequested;
        failures.Sort((a, b) => a.Push.Sequence.CompareTo(b.Push.Sequence));
        return new SimulationResult(schedule.Pushes.Count, sent, ok, failures, total, options.Rate,
            latencies.Percentile(50), latencies.Percentile(95), latencies.Percentile(99), stopped)
        {
            Answered = answered,
            Cancelled = cancelled,
            StoppedAfterConnectionFailures = !cancelled && connectionFailuresInARow >= options.ConnectionFailureLimit ? connectionFailuresInARow : 0,
        };

        async Task SendAsync(ScheduledPush push)
        {
            try
            {
                var (status, detail, latency, notConnected) = await PostAsync(options, push, forwarded, stop.Token).ConfigureAwait(false);
                lock (failures)
                {
                    sent++;
                    if (status == (int)HttpStatusCode.OK)
                    {
                        ok++;
                    }
                    else
                    {
                        failures.Add(new FailedPush(push, status, detail));
                    }

                    if (notConnected)
                    {
                        if (++connectionFailuresInARow >= options.ConnectionFailureLimit)
                        {
                            stop.Cancel();
                        }
                    }
                    else
                    {
                        connectionFailuresInARow = 0;
                    }

                    if (status > 0)
                    {
                        answered++;
                        latencies.Record(latency);
                    }
                }

                progress?.Report(push.Sequence);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // Cut off by Ctrl+C or the stop: not counted as sent.
            }
            finally
            {
                gate.Release();
            }
        }
    }

    private async Task<(int Status, string Detail, TimeSpan Latency, bool NotConnected)> PostAsync(SimulationOptions options, ScheduledPush push,
        string? forwardedCertificate, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, options.Target)
        {
            Content = new ByteArrayContent(push.Body),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (forwardedCertificate is not null)
        {
            request.Headers.TryAddWithoutValidation(PresentedCertificate.ForwardedHeader, forwardedCertificate);
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.RequestTimeout);
        var begun = Stopwatch.GetTimestamp();
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token)
                .ConfigureAwait(false);
            var latency = Stopwatch.GetElapsedTime(begun);
            var detail = response.StatusCode == HttpStatusCode.OK
                ? ""
                : Truncate(await response.Content.ReadAsStringAsync(CancellationToken.None).ConfigureAwait(false), 300);
            return ((int)response.StatusCode, detail, latency, false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (0, $"no answer within {options.RequestTimeout.TotalSeconds:0} s (the platform counts this as a failure)",
                Stopwatch.GetElapsedTime(begun), false);
        }
        catch (HttpRequestException ex) when (ex.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError)
        {
            return (0, $"could not connect: {ex.Message}", Stopwatch.GetElapsedTime(begun), true);
        }
        catch (HttpRequestException ex)
        {
            return (0, $"request failed: {ex.Message}", Stopwatch.GetElapsedTime(begun), false);
        }
    }

    private static string Truncate(string text, int max) =>
        text.Length <= max ? text.ReplaceLineEndings(" ") : text[..max].ReplaceLineEndings(" ") + "...";
}
