using System.Collections.Concurrent;
using Microsoft.ApplicationInsights;
using Microsoft.ApplicationInsights.Channel;
using Microsoft.ApplicationInsights.DataContracts;
using Microsoft.ApplicationInsights.Extensibility;
using SwUpgradeFunc.Observability;
using SwUpgradeFunc.Tests.TestSupport;

namespace SwUpgradeFunc.Tests.Observability;

public class MetricsToApplicationInsightsTests
{
    private sealed class CollectingChannel : ITelemetryChannel
    {
        public ConcurrentQueue<ITelemetry> Items { get; } = new();
        public bool? DeveloperMode { get; set; }
        public string EndpointAddress { get; set; } = "";
        public void Send(ITelemetry item) => Items.Enqueue(item);
        public void Flush() { }
        public void Dispose() { }
    }

    [Fact]
    public async Task ReceiverOutcomes_ReachApplicationInsights_AsMetricsWithTheirDimensions()
    {
        var channel = new CollectingChannel();
        using var configuration = new TelemetryConfiguration { TelemetryChannel = channel, ConnectionString = "InstrumentationKey=00000000-0000-0000-0000-000000000000" };
        var telemetry = new TelemetryClient(configuration);
        using var meters = new TestMeterFactory();
        using var forwarder = new MetricsToApplicationInsights(telemetry, meters);
        var metrics = new SwUpgradeMetrics(meters);
        await forwarder.StartAsync(CancellationToken.None);

        metrics.PushReceived("rejected", "invalid-fields", "swUpgradeResultNotify");
        metrics.PushReceived("rejected", "invalid-fields", "swUpgradeResultNotify");
        metrics.PushReceived("accepted", "accepted", "fwUpgradeStateChangeNotify");
        telemetry.Flush();
        await forwarder.StopAsync(CancellationToken.None);

        var sent = channel.Items.OfType<MetricTelemetry>().Where(m => m.Name == SwUpgradeMetrics.PushesReceived).ToArray();
        var rejected = Assert.Single(sent, m => m.Properties["outcome"] == "rejected");
        Assert.Equal((2, 2.0), (rejected.Count!.Value, rejected.Sum));
        Assert.Equal(("invalid-fields", "swUpgradeResultNotify"), (rejected.Properties["reason"], rejected.Properties["notify_type"]));
        Assert.Equal(SwUpgradeMetrics.MeterName, rejected.MetricNamespace);
        Assert.Single(sent, m => m.Properties["outcome"] == "accepted");
    }

    [Fact]
    public async Task Forwarder_IgnoresASameNamedMeterFromAnotherFactory()
    {
        var channel = new CollectingChannel();
        using var configuration = new TelemetryConfiguration { TelemetryChannel = channel, ConnectionString = "InstrumentationKey=00000000-0000-0000-0000-000000000000" };
        var telemetry = new TelemetryClient(configuration);
        using var appMeters = new TestMeterFactory();
        using var otherMeters = new TestMeterFactory();
        using var forwarder = new MetricsToApplicationInsights(telemetry, appMeters);
        await forwarder.StartAsync(CancellationToken.None);

        new SwUpgradeMetrics(otherMeters).PushReceived("accepted", "accepted", "swUpgradeStateChangeNotify");
        telemetry.Flush();

        Assert.Empty(channel.Items.OfType<MetricTelemetry>());
    }
}
