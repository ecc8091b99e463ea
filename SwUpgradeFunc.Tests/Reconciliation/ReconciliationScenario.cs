using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using SwUpgradeFunc.Tests.Platform;
using SwUpgradeFunc.Tests.TestSupport;

namespace SwUpgradeFunc.Tests.Reconciliation;

/// <summary>
/// One upgrade task whose pushes partly never arrived, on the fake platform and through the app running in-process on
/// Azurite: the platform knows every device's outcome, the app only what was pushed.
/// </summary>
public sealed class ReconciliationScenario : IAsyncDisposable
{
    public static readonly DateTimeOffset Stop = new(2026, 11, 26, 10, 15, 0, TimeSpan.Zero);

    private ReconciliationScenario(PlatformTestContext platform, FunctionsTestHost host, QueueTriggerDriver trigger, string operationId)
    {
        Platform = platform;
        Host = host;
        Trigger = trigger;
        OperationId = operationId;
    }

    public PlatformTestContext Platform { get; }

    public FunctionsTestHost Host { get; }

    public QueueTriggerDriver Trigger { get; }

    public string OperationId { get; }

    /// <summary>The platform's final statuses the status API must show once reconciled, by subOperationId.</summary>
    public static IReadOnlyDictionary<string, string?> ReconciledPhases { get; } = new Dictionary<string, string?>
    {
        ["sub-1"] = "succeeded",
        ["sub-2"] = "succeeded",
        ["sub-3"] = "failed",
        ["sub-4"] = "succeeded",
        ["sub-5"] = "failed",
        ["sub-6"] = "succeeded",
        ["sub-7"] = "succeeded",
        ["sub-9"] = "downloading",
    };

    public static async Task<ReconciliationScenario> StartAsync(
        Func<PlatformTestContext, Dictionary<string, string?>>? extraSettings = null,
        Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? configureServices = null,
        string operationId = "op-rec")
    {
        var platform = await PlatformTestContext.StartAsync();
        var queueName = AzuriteServer.NewName("rec-");
        var settings = new Dictionary<string, string?>
        {
            ["SwUpgradeStorage"] = AzuriteServer.ConnectionString,
            ["NotificationsQueueName"] = queueName,
            ["Upgrades:TableName"] = AzuriteServer.NewName("rec"),
        };
        foreach (var (key, value) in extraSettings?.Invoke(platform) ?? [])
        {
            settings[key] = value;
        }

        var host = await FunctionsTestHost.StartAsync(settings, configureServices);
        var scenario = new ReconciliationScenario(platform, host, new QueueTriggerDriver(AzuriteServer.ConnectionString, queueName), operationId);
        await scenario.SeedAsync();
        return scenario;
    }

    /// <summary>
    /// sub-1..3 pushed through to their results (agree); sub-4 and sub-5 lost their result pushes; sub-6 was never pushed
    /// at all; sub-7 was pushed FAIL while the platform has success; sub-8 waits on the platform (nothing due);
    /// sub-9 is still downloading on both sides.
    /// </summary>
    private async Task SeedAsync()
    {
        var fake = Platform.Fake;
        fake.AddUpgradeTask(OperationId, "software_upgrade");
        (string Status, string[] States, string? Result)[] devices =
        [
            ("success", ["downloading", "downloaded", "updating", "idle"], "SUCCESS"),
            ("success", ["downloading", "updating"], "SUCCESS"),
            ("fail", ["downloading"], "FAIL"),
            ("success", ["downloading", "downloaded", "updating"], null),
            ("fail", ["downloading"], null),
            ("success", [], null),
            ("success", ["downloading", "updating"], "FAIL"),
            ("wait", [], null),
            ("processing", ["downloading"], null),
        ];
        for (var i = 0; i < devices.Length; i++)
        {
            var (status, states, result) = devices[i];
            var device = $"dev-{i + 1}";
            var sub = $"sub-{i + 1}";
            fake.SetSubOperation(OperationId, sub, device, status, status is "success" or "fail" ? Stop.AddMinutes(i) : null);
            foreach (var state in states)
            {
                await PushAsync(Pushes.SwState(state, device, OperationId, sub, fake.AppId).ToJsonString());
            }

            if (result is not null)
            {
                await PushAsync(Pushes.SwResult(result, device, OperationId, sub, fake.AppId).ToJsonString());
            }
        }

        await DrainAsync();
    }

    public async Task PushAsync(string json)
    {
        using var content = new StringContent(json, Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
        using var response = await Host.Client.PostAsync("/v1.0.0/messageReceiver", content);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>Runs the queue trigger until the queue is empty; returns how many messages it processed.</summary>
    public async Task<int> DrainAsync()
    {
        var processed = await Trigger.DrainAsync(Host.InvokeProcessNotification, parallelism: 4);
        Assert.Equal(0, Trigger.Failures);
        return processed;
    }

    public async Task<Dictionary<string, string?>> PhasesAsync()
    {
        using var response = await Host.Client.GetAsync($"/api/upgrades/{OperationId}?pageSize=1000");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("subTasks").EnumerateArray()
            .ToDictionary(s => s.GetProperty("subOperationId").GetString()!, s => s.GetProperty("phase").GetString());
    }

    public async Task<JsonElement> DeviceSubTaskAsync(string deviceId)
    {
        using var response = await Host.Client.GetAsync($"/api/devices/{deviceId}/upgrades");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("subTasks").EnumerateArray().Single().Clone();
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        await Platform.DisposeAsync();
    }
}
