using System.Drawing;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using SwUpgradeFunc.Functions;
using SwUpgradeFunc.Tests.Functions;
using SwUpgradeFunc.Tests.TestSupport;

namespace SwUpgradeFunc.Tests.Dashboard;

/// <summary>
/// The browser tests run on their own, after the parallel ones: Chromium takes a core, and tests with time budgets
/// (the receiver's 5 s enqueue) should not share the machine with it.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DashboardBrowserCollection : ICollectionFixture<DashboardBrowser>
{
    public const string Name = "Dashboard browser";
}

/// <summary>
/// One app on Kestrel (real receiver, real processor through the queue, Azurite) and one headless Chromium, shared by
/// every browser test: starting a browser costs seconds, a test only opens another view. Data goes in as the
/// platform's pushes through the receiver, so what the page shows came the whole way.
/// </summary>
public sealed class DashboardBrowser : IAsyncLifetime
{
    public static readonly Size Wide = new(1280, 900);

    private readonly string _queueName = AzuriteServer.NewName("dash-");

    /// <summary>The host's table, for a test that leaves rows as an earlier version wrote them.</summary>
    public string TableName { get; } = AzuriteServer.NewName("dash");
    private QueueTriggerDriver _trigger = null!;

    public FunctionsTestHost Host { get; private set; } = null!;

    public ChromeDriver Driver { get; private set; } = null!;

    /// <summary>A software rollout of 48 devices in every phase, some failed with the platform's error codes.</summary>
    public const string FleetTask = "op-2026-11-meter-fw-2.4.1";

    public static IEnumerable<JsonObject> FleetPushes()
    {
        var plan = new (int Count, string[] States, string? Result)[]
        {
            (30, ["downloading", "downloaded", "updating", "idle"], "SUCCESS"),
            (6, ["downloading", "downloaded", "updating"], "FAIL"),
            (5, ["downloading", "downloaded", "updating"], null),
            (3, ["downloading", "downloaded"], null),
            (4, ["downloading"], null),
        };
        var failures = new[] { ("E102", "checksum mismatch"), ("E207", "not enough flash space"), ("E310", "device rebooted during update") };
        var device = 0;
        foreach (var (count, states, result) in plan)
        {
            for (var i = 0; i < count; i++, device++)
            {
                var id = $"meter-{device + 1:D4}";
                var sub = $"sub-{id}";
                foreach (var state in states)
                {
                    yield return Pushes.SwState(state, id, FleetTask, sub);
                }

                if (result is not null)
                {
                    var push = Pushes.SwResult(result, id, FleetTask, sub);
                    push["sourceVersion"] = "2.3.9";
                    push["targetVersion"] = "2.4.1";
                    push["curVersion"] = result == "SUCCESS" ? "2.4.1" : "2.3.9";
                    if (result == "FAIL")
                    {
                        (push["errorCode"], push["resultDesc"]) = (failures[i % failures.Length].Item1, failures[i % failures.Length].Item2);
                    }

                    yield return push;
                }
            }
        }
    }

    /// <summary>The fleet's devices whose upgrade failed.</summary>
    public static IReadOnlyList<string> FailedDevices { get; } = [.. Enumerable.Range(31, 6).Select(n => $"meter-{n:D4}")];

    public static string ScreenshotDirectory { get; } = RepositoryPaths.Combine("TestResults", "dashboard");

    public async Task InitializeAsync()
    {
        var settings = MessageReceiverIntegrationTests.Settings(AzuriteServer.ConnectionString, _queueName);
        settings["Upgrades:TableName"] = TableName;
        Host = await FunctionsTestHost.StartAsync(settings);
        _trigger = new QueueTriggerDriver(AzuriteServer.ConnectionString, _queueName);
        Driver = SystemChromium.Start(Wide);
        Driver.Manage().Timeouts().PageLoad = TimeSpan.FromSeconds(30);
        Directory.CreateDirectory(ScreenshotDirectory);
        await Push(FleetPushes());
    }

    public async Task DisposeAsync()
    {
        if (Driver is not null)
        {
            Driver.Quit();
            Driver.Dispose();
        }

        if (Host is not null)
        {
            await Host.DisposeAsync();
        }
    }

    /// <summary>Posts the pushes to the callback in this order, then runs the processor until the queue is empty.</summary>
    public async Task Push(IEnumerable<JsonObject> bodies, int parallelism = 4)
    {
        foreach (var body in bodies)
        {
            using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
            using var response = await Host.Client.PostAsync("/" + MessageReceiverFunction.Route, content);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await _trigger.DrainAsync(Host.InvokeProcessNotification, parallelism);
        Assert.Equal(0, _trigger.Failures);
    }

    /// <summary>The status API's answer, read with the key, to compare the page with.</summary>
    public async Task<JsonDocument> Api(string path)
    {
        using var response = await Host.Client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body);
    }

    /// <summary>Opens a view of the page, entering the function key if the page asks for it.</summary>
    public void Open(string hash)
    {
        Driver.Navigate().GoToUrl(new Uri(Host.BaseAddress, "/dashboard" + hash));
        WaitFor(() => Driver.FindElement(By.Id("key-view")).Displayed || Driver.FindElement(By.Id("view")).Displayed, "the page to start");
        if (Driver.FindElement(By.Id("key-view")).Displayed)
        {
            EnterKey(Host.FunctionKey);
        }
    }

    public void EnterKey(string key)
    {
        var input = Driver.FindElement(By.Id("key-input"));
        input.Clear();
        input.SendKeys(key + Keys.Enter);
    }

    public static T WaitFor<T>(Func<T> probe, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        Exception? last = null;
        while (true)
        {
            try
            {
                var value = probe();
                if (value is not null && !(value is bool b && !b))
                {
                    return value;
                }
            }
            catch (WebDriverException ex)
            {
                last = ex;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Waited {(timeout ?? TimeSpan.FromSeconds(10)).TotalSeconds} s for {what}.", last);
            }

            Thread.Sleep(100);
        }
    }

    /// <summary>Saves what the browser shows when the returned scope ends, passed or failed.</summary>
    public IDisposable ScreenshotWhenDone(string name) => new Screenshot(this, name);

    public string SaveScreenshot(string name)
    {
        var path = Path.Combine(ScreenshotDirectory, name + ".png");
        Driver.GetScreenshot().SaveAsFile(path);
        return path;
    }

    /// <summary>Lays the page out as a phone of this width would (CSS pixels), until the scope ends.</summary>
    public IDisposable Viewport(int width, int height)
    {
        Driver.ExecuteCdpCommand("Emulation.setDeviceMetricsOverride", new Dictionary<string, object?>
        {
            ["width"] = width,
            ["height"] = height,
            ["deviceScaleFactor"] = 1,
            ["mobile"] = true,
        });
        return new ViewportScope(Driver);
    }

    private sealed class Screenshot(DashboardBrowser browser, string name) : IDisposable
    {
        public void Dispose() => browser.SaveScreenshot(name);
    }

    private sealed class ViewportScope(ChromeDriver driver) : IDisposable
    {
        public void Dispose() => driver.ExecuteCdpCommand("Emulation.clearDeviceMetricsOverride", []);
    }
}
