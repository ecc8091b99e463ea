using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SwUpgradeFunc.Notifications;
using SwUpgradeFunc.Observability;
using SwUpgradeFunc.Platform;
using SwUpgradeFunc.Receiving;

namespace SwUpgradeFunc.Benchmarks;

/// <summary>
/// The receiver's CPU work per notification, without storage: parsing and validation alone, parse + envelope
/// serialisation (what is put on the queue), and the whole <see cref="NotificationReceiver.ReceiveAsync"/> with a
/// queue that stores nothing (adds the media-type check, reading the body, the metrics and the log calls).
/// </summary>
[MemoryDiagnoser]
public class ReceiverCpuBenchmarks : IDisposable
{
    private static readonly DateTimeOffset ReceivedAt = new(2026, 11, 26, 10, 0, 0, TimeSpan.Zero);

    private byte[] _body = [];
    private NotificationReceiver _receiver = null!;
    private NotificationReceiver _receiverWithCertificateCheck = null!;
    private string[] _certificateHeader = [];
    private MemoryStream _stream = null!;

    /// <summary>Short labels, as BenchmarkDotNet cuts long parameter values: swState = swUpgradeStateChangeNotify, ...</summary>
    [ParamsSource(nameof(Pushes))]
    public string Push { get; set; } = "swState";

    /// <summary>The pushes measured: all four, or only swState for the one-figure quick run (<c>cpu --quick</c>).</summary>
    public static IEnumerable<string> Pushes => OnlySwState ? ["swState"] : ["swState", "swResult", "fwState", "fwResult"];

    /// <summary>Set by <c>cpu --quick</c> before BenchmarkDotNet runs (in-process, so the setting reaches the benchmark).</summary>
    public static bool OnlySwState { get; set; }

    private string NotifyType => Push switch
    {
        "swState" => NotifyTypes.SwUpgradeStateChange,
        "swResult" => NotifyTypes.SwUpgradeResult,
        "fwState" => NotifyTypes.FwUpgradeStateChange,
        _ => NotifyTypes.FwUpgradeResult,
    };

    [GlobalSetup]
    public void Setup()
    {
        _body = SamplePushes.Body(NotifyType);
        _stream = new MemoryStream(_body, writable: false);
        _receiver = new NotificationReceiver(
            new NoOpQueue(),
            Options.Create(new ReceiverOptions { AllowedAppIds = SamplePushes.AppId }),
            TimeProvider.System,
            new SwUpgradeMetrics(new SingleMeterFactory()),
            NullLogger<NotificationReceiver>.Instance,
            new ClientCertificateCheck(Options.Create(new ClientCertificateOptions()), TimeProvider.System));
        // The same receiver with the client certificate check required, trusting a CA made here; each push presents
        // the same leaf, as the platform does.
        var (caPem, leafHeader) = BenchCertificates.CaAndLeafHeader();
        _certificateHeader = [leafHeader];
        _receiverWithCertificateCheck = new NotificationReceiver(
            new NoOpQueue(),
            Options.Create(new ReceiverOptions { AllowedAppIds = SamplePushes.AppId }),
            TimeProvider.System,
            new SwUpgradeMetrics(new SingleMeterFactory()),
            NullLogger<NotificationReceiver>.Instance,
            new ClientCertificateCheck(
                Options.Create(new ClientCertificateOptions { Mode = ClientCertificateOptions.Required, CaCertificates = caPem }),
                TimeProvider.System));
        if (_receiverWithCertificateCheck.ReceiveAsync(_certificateHeader, "application/json", _body.Length,
                new MemoryStream(_body, writable: false), CancellationToken.None).GetAwaiter().GetResult().Outcome != ReceiveOutcome.Accepted)
        {
            throw new InvalidOperationException("The receiver with the client certificate check refused the sample push.");
        }

        if (NotificationParser.Parse(_body).Kind != PushKind.Upgrade)
        {
            throw new InvalidOperationException($"The sample {NotifyType} push does not parse as an upgrade push.");
        }
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _stream?.Dispose();
        GC.SuppressFinalize(this);
    }

    [Benchmark(Description = "parse + validate")]
    public ParsedPush Parse() => NotificationParser.Parse(_body);

    [Benchmark(Baseline = true, Description = "parse + validate + envelope")]
    public BinaryData ParseAndEnvelope()
    {
        var push = NotificationParser.Parse(_body);
        return NotificationEnvelope.Create(push.Notification!, ReceivedAt).ToBinaryData();
    }

    [Benchmark(Description = "ReceiveAsync, no-op queue")]
    public async Task<ReceiveResult> Receive()
    {
        _stream.Position = 0;
        return await _receiver.ReceiveAsync("application/json", _body.Length, _stream, CancellationToken.None);
    }

    [Benchmark(Description = "ReceiveAsync, no-op queue, client certificate required")]
    public async Task<ReceiveResult> ReceiveWithCertificateCheck()
    {
        _stream.Position = 0;
        return await _receiverWithCertificateCheck.ReceiveAsync(_certificateHeader, "application/json", _body.Length, _stream,
            CancellationToken.None);
    }
}
