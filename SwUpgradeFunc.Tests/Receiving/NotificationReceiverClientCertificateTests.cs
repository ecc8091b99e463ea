using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using SwUpgradeFunc.Observability;
using SwUpgradeFunc.Receiving;
using SwUpgradeFunc.Tests.TestSupport;

namespace SwUpgradeFunc.Tests.Receiving;

/// <summary>The receiver with the client certificate check on: refused pushes are answered 403, counted, logged, never enqueued.</summary>
public sealed class NotificationReceiverClientCertificateTests : ReceiverTests
{
    private readonly PushCertificates _certificates = new(Now);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _certificates.Dispose();
        }

        base.Dispose(disposing);
    }

    private NotificationReceiver RequiringCertificate() =>
        Receiver(clientCertificates: new ClientCertificateOptions
        {
            Mode = "required",
            CaCertificates = _certificates.CaPem,
            ExpectedSubject = PushCertificates.PlatformName,
        });

    private static Task<ReceiveResult> Post(NotificationReceiver receiver, string?[] header, Stream? body = null)
    {
        var bytes = Pushes.Bytes(Pushes.SwState());
        return receiver.ReceiveAsync(header, "application/json", bytes.Length, body ?? new MemoryStream(bytes), CancellationToken.None);
    }

    private string?[] Header(string which) => which switch
    {
        "none" => [],
        "malformed" => ["bm90IGEgY2VydGlmaWNhdGU="],
        "expired" => [PushCertificates.Header(_certificates.Expired)],
        "not-yet-valid" => [PushCertificates.Header(_certificates.NotYetValid)],
        "other-ca" => [PushCertificates.Header(_certificates.FromOtherCa)],
        "other-name" => [PushCertificates.Header(_certificates.OtherName)],
        _ => [PushCertificates.Header(_certificates.Valid)],
    };

    [Theory]
    [InlineData("none", "client-certificate-missing")]
    [InlineData("malformed", "client-certificate-malformed")]
    [InlineData("expired", "client-certificate-expired")]
    [InlineData("not-yet-valid", "client-certificate-not-yet-valid")]
    [InlineData("other-ca", "client-certificate-untrusted")]
    [InlineData("other-name", "client-certificate-subject-mismatch")]
    public async Task Receive_Returns403_CountsAndLogsTheReason_AndEnqueuesNothing_ForARefusedCertificate(string which, string code)
    {
        using var refusals = new MetricCollector<long>(Meters, SwUpgradeMetrics.MeterName, SwUpgradeMetrics.ClientCertificatesRefused);

        var result = await Post(RequiringCertificate(), Header(which));

        Assert.Equal((ReceiveOutcome.Rejected, 403, code), (result.Outcome, result.StatusCode, result.Reason));
        Assert.Equal(code, result.Problem!.Code);
        Assert.Empty(Queue.Messages);
        var refusal = Assert.Single(refusals.GetMeasurementSnapshot());
        Assert.Equal(code, refusal.Tags["reason"]);
        var push = Assert.Single(PushMetrics.GetMeasurementSnapshot());
        Assert.Equal(("rejected", code), (push.Tags["outcome"], push.Tags["reason"]));
        var logs = Logger.Collector.GetSnapshot();
        Assert.Contains(logs, r => r.Level == LogLevel.Warning && r.Message.Contains(code, StringComparison.Ordinal));
        foreach (var value in Header(which))
        {
            Assert.DoesNotContain(logs, r => r.Message.Contains(value!, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Receive_LogsTheRefusedCertificatesSubjectAndThumbprint_NotItsEncoding()
    {
        await Post(RequiringCertificate(), Header("other-ca"));

        var message = Logger.Collector.GetSnapshot().Single(r => r.Level == LogLevel.Warning && r.Message.Contains("SHA-256", StringComparison.Ordinal)).Message;
        Assert.Contains(_certificates.FromOtherCa.Subject, message, StringComparison.Ordinal);
        Assert.Contains(PushCertificates.Pin(_certificates.FromOtherCa), message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Receive_RefusesBeforeReadingTheBody()
    {
        var result = await Post(RequiringCertificate(), Header("none"), new UnreadableStream());

        Assert.Equal("client-certificate-missing", result.Reason);
    }

    [Fact]
    public async Task Receive_EnqueuesAPush_WithTheTrustedCertificate()
    {
        var receiver = RequiringCertificate();

        var first = await Post(receiver, Header("valid"));
        var second = await Post(receiver, Header("valid"));

        Assert.Equal((ReceiveOutcome.Accepted, ReceiveOutcome.Accepted), (first.Outcome, second.Outcome));
        Assert.Equal(2, Queue.Messages.Count);
    }

    [Fact]
    public async Task Receive_RefusesAPushWithoutCertificate_ThroughTheOverloadWithoutHeader()
    {
        var bytes = Pushes.Bytes(Pushes.SwState());

        var result = await RequiringCertificate().ReceiveAsync("application/json", bytes.Length, new MemoryStream(bytes), CancellationToken.None);

        Assert.Equal("client-certificate-missing", result.Reason);
        Assert.Empty(Queue.Messages);
    }

    [Theory]
    [InlineData("none")]
    [InlineData("malformed")]
    [InlineData("expired")]
    [InlineData("other-ca")]
    public async Task Receive_IgnoresTheHeader_WhenTheCheckIsOff(string which)
    {
        var result = await Post(Receiver(), Header(which));

        Assert.Equal(ReceiveOutcome.Accepted, result.Outcome);
        Assert.Single(Queue.Messages);
    }

    private sealed class UnreadableStream : MemoryStream
    {
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("The body must not be read.");

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("The body must not be read.");
    }
}
