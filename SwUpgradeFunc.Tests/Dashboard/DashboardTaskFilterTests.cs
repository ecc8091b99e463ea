using System.Globalization;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using SwUpgradeFunc.Tests.TestSupport;

namespace SwUpgradeFunc.Tests.Dashboard;

/// <summary>The task list, the phase filter, the stall time and the CSV export in the browser, against the operator API.</summary>
[Collection(DashboardBrowserCollection.Name)]
public sealed class DashboardTaskFilterTests(DashboardBrowser browser)
{
    private ChromeDriver Driver => browser.Driver;

    [Fact]
    public async Task TaskList_ShowsTheTasksMostRecentFirst_WithTheApisCountsAndTheAlert()
    {
        await browser.Push([Pushes.SwState("downloading", "meter-list-1", "op-list-newest", "sub-list-1")]);
        using var api = await browser.Api("/api/upgrades?pageSize=20");
        var tasks = api.RootElement.GetProperty("tasks").EnumerateArray().ToList();

        using (browser.ScreenshotWhenDone(nameof(TaskList_ShowsTheTasksMostRecentFirst_WithTheApisCountsAndTheAlert)))
        {
            browser.Open("#/");
            var rows = DashboardBrowser.WaitFor(() =>
            {
                var found = Driver.FindElements(By.CssSelector("tbody tr[data-operation]"));
                return found.Count == tasks.Count ? found.ToList() : null;
            }, "one row per task")!;

            Assert.Equal(tasks.Select(t => t.GetProperty("operationId").GetString()), rows.Select(r => r.GetAttribute("data-operation")));
            Assert.Equal("op-list-newest", rows[0].GetAttribute("data-operation"));
            var fleet = tasks.Single(t => t.GetProperty("operationId").GetString() == DashboardBrowser.FleetTask);
            var row = rows.Single(r => r.GetAttribute("data-operation") == DashboardBrowser.FleetTask);
            var shown = row.FindElements(By.CssSelector(".legend li[data-phase]"))
                .ToDictionary(li => li.GetAttribute("data-phase")!, li => int.Parse(li.GetAttribute("data-count")!, CultureInfo.InvariantCulture));
            var expected = fleet.GetProperty("phases").EnumerateObject().Where(p => p.Value.GetInt32() > 0)
                .ToDictionary(p => p.Name, p => p.Value.GetInt32());
            Assert.Equal(expected.OrderBy(p => p.Key), shown.Where(p => p.Key != "stalled").OrderBy(p => p.Key));
            Assert.True(fleet.GetProperty("alert").GetBoolean(), "6 of 36 settled failed: over the 10% threshold with 20 settled");
            var rate = row.FindElement(By.CssSelector("td[data-label='Failure rate']")).Text;
            Assert.Equal($"⚠ {fleet.GetProperty("failureRate").GetDouble() * 100:F1}% failed — alert", rate);
            Assert.Matches(@"^\d+ (s|min) ago$", row.FindElement(By.CssSelector("td[data-label='Last activity']")).Text);
        }
    }

    [Fact]
    public async Task ChoosingFailed_ListsExactlyTheFailedDevices_WithTheirErrors()
    {
        using var api = await browser.Api($"/api/upgrades/{DashboardBrowser.FleetTask}/subtasks?phase=failed");
        var failed = api.RootElement.GetProperty("subTasks").EnumerateArray()
            .ToDictionary(s => s.GetProperty("deviceId").GetString()!, s => s.GetProperty("errorCode").GetString());

        using (browser.ScreenshotWhenDone(nameof(ChoosingFailed_ListsExactlyTheFailedDevices_WithTheirErrors)))
        {
            browser.Open($"#/task/{DashboardBrowser.FleetTask}");
            var chip = DashboardBrowser.WaitFor(() => Driver.FindElements(By.CssSelector("a[data-filter='failed']")).FirstOrDefault(), "the failed chip")!;
            chip.SendKeys(Keys.Enter); // by keyboard, as a chip is a link

            var rows = DashboardBrowser.WaitFor(() =>
            {
                var found = Driver.FindElements(By.CssSelector("#subtasks tbody tr"));
                return Driver.Url.EndsWith("?phase=failed", StringComparison.Ordinal) && found.Count > 0 && found.All(r => r.GetAttribute("data-phase") == "failed")
                    ? found.ToList()
                    : null;
            }, "the failed devices")!;

            Assert.Equal(DashboardBrowser.FailedDevices.Order(StringComparer.Ordinal), failed.Keys.Order(StringComparer.Ordinal));
            Assert.Equal(failed.Keys.Order(StringComparer.Ordinal), rows.Select(r => r.GetAttribute("data-device")!).Order(StringComparer.Ordinal));
            foreach (var row in rows)
            {
                Assert.Equal(failed[row.GetAttribute("data-device")!], row.FindElement(By.CssSelector("td[data-label='Error code']")).Text);
                Assert.NotEqual("—", row.FindElement(By.CssSelector("td[data-label='Description']")).Text);
            }

            Assert.Equal("true", Driver.FindElement(By.CssSelector("a[data-filter='failed']")).GetAttribute("aria-current"));
        }
    }

    [Fact]
    public async Task DownloadCsv_SavesTheApisCsvOfTheCurrentFilter()
    {
        var downloads = Path.Combine(DashboardBrowser.ScreenshotDirectory, "downloads-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(downloads);
        Driver.ExecuteCdpCommand("Browser.setDownloadBehavior", new Dictionary<string, object?> { ["behavior"] = "allow", ["downloadPath"] = downloads });
        using var response = await browser.Host.Client.GetAsync($"/api/upgrades/{DashboardBrowser.FleetTask}/subtasks.csv?phase=failed");
        var expected = await response.Content.ReadAsStringAsync();

        using (browser.ScreenshotWhenDone(nameof(DownloadCsv_SavesTheApisCsvOfTheCurrentFilter)))
        {
            browser.Open($"#/task/{DashboardBrowser.FleetTask}?phase=failed");
            DashboardBrowser.WaitFor(() => Driver.FindElements(By.CssSelector("#subtasks tbody tr")).Count > 0, "the failed devices");
            Driver.FindElement(By.Id("csv")).Click();

            var file = Path.Combine(downloads, $"{DashboardBrowser.FleetTask}-failed.csv");
            DashboardBrowser.WaitFor(() => File.Exists(file), "the downloaded file");
            Assert.Equal(expected, await File.ReadAllTextAsync(file));
            Assert.Equal(1 + DashboardBrowser.FailedDevices.Count, expected.TrimEnd('\r', '\n').Split('\n').Length);
        }
    }

    [Fact]
    public async Task StalledAfter_IsEditable_AndKeptInTheAddress()
    {
        using (browser.ScreenshotWhenDone(nameof(StalledAfter_IsEditable_AndKeptInTheAddress)))
        {
            browser.Open($"#/task/{DashboardBrowser.FleetTask}?phase=stalled");
            var input = DashboardBrowser.WaitFor(() => Driver.FindElement(By.Id("stalled-after")) is { } i && i.GetAttribute("value") == "PT1H" ? i : null,
                "the app's stall time in the field")!;

            input.Clear();
            input.SendKeys("PT30M" + Keys.Enter);

            DashboardBrowser.WaitFor(() => Driver.Url.Contains("stalledAfter=PT30M", StringComparison.Ordinal), "the stall time in the address");
            var chip = DashboardBrowser.WaitFor(() => Driver.FindElements(By.CssSelector("a[data-filter='stalled']")).FirstOrDefault(), "the stalled chip")!;
            DashboardBrowser.WaitFor(() => chip.Text.Contains("(after PT30M)", StringComparison.Ordinal), "the chip showing the stall time");
            Assert.Equal("true", chip.GetAttribute("aria-current"));
        }
    }

    [Fact]
    public async Task Pause_StopsTheRefresh_AndResume_CatchesUp()
    {
        const string op = "op-pause";
        await browser.Push([Pushes.SwState("downloading", "meter-pause-1", op, "sub-pause-1")]);
        using (browser.ScreenshotWhenDone(nameof(Pause_StopsTheRefresh_AndResume_CatchesUp)))
        {
            browser.Open($"#/task/{op}");
            DashboardBrowser.WaitFor(() => Driver.FindElements(By.CssSelector(".summary .legend li[data-phase='downloading'][data-count='1']")).Count == 1, "the task");
            var pause = Driver.FindElement(By.Id("pause"));
            pause.Click();
            Assert.Equal("true", pause.GetAttribute("aria-pressed"));

            await browser.Push([Pushes.SwState("updating", "meter-pause-1", op, "sub-pause-1")]);
            await Task.Delay(TimeSpan.FromSeconds(6)); // longer than one refresh
            Assert.Single(Driver.FindElements(By.CssSelector(".summary .legend li[data-phase='downloading'][data-count='1']")));
            Assert.Contains("paused", Driver.FindElement(By.Id("updated")).Text, StringComparison.Ordinal);

            pause.Click();
            DashboardBrowser.WaitFor(() => Driver.FindElements(By.CssSelector(".summary .legend li[data-phase='updating'][data-count='1']")).Count == 1,
                "the push after resuming", TimeSpan.FromSeconds(3));
            Assert.Equal("false", pause.GetAttribute("aria-pressed"));
        }
    }

    [Fact]
    public async Task AHiddenTab_SendsNoRequest_AndShowingItAgain_CatchesUpAtOnce()
    {
        const string op = "op-hidden";
        await browser.Push([Pushes.SwState("downloading", "meter-hidden-1", op, "sub-hidden-1")]);
        using (browser.ScreenshotWhenDone(nameof(AHiddenTab_SendsNoRequest_AndShowingItAgain_CatchesUpAtOnce)))
        {
            browser.Open($"#/task/{op}");
            DashboardBrowser.WaitFor(() => Driver.FindElements(By.CssSelector(".summary .legend li[data-phase='downloading'][data-count='1']")).Count == 1, "the task");

            // What the browser does when the tab goes to the background: document.hidden turns true and visibilitychange fires.
            Driver.ExecuteScript("""
                window.calls = 0;
                const original = window.fetch;
                window.fetch = function () { window.calls++; return original.apply(this, arguments); };
                window.tabHidden = true;
                Object.defineProperty(document, 'hidden', { configurable: true, get: () => window.tabHidden });
                Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => window.tabHidden ? 'hidden' : 'visible' });
                document.dispatchEvent(new Event('visibilitychange'));
                """);
            await browser.Push([Pushes.SwState("updating", "meter-hidden-1", op, "sub-hidden-1")]);
            await Task.Delay(TimeSpan.FromSeconds(6)); // longer than one refresh
            Assert.Equal(0L, Driver.ExecuteScript("return window.calls;"));
            Assert.Single(Driver.FindElements(By.CssSelector(".summary .legend li[data-phase='downloading'][data-count='1']")));

            Driver.ExecuteScript("window.tabHidden = false; document.dispatchEvent(new Event('visibilitychange'));");
            DashboardBrowser.WaitFor(() => Driver.FindElements(By.CssSelector(".summary .legend li[data-phase='updating'][data-count='1']")).Count == 1,
                "the push sent while hidden, right after the tab shows again", TimeSpan.FromSeconds(3));
        }
    }

    [Fact]
    public async Task ASlowApi_GetsOneRequestAtATime_NeverAPileOfThem()
    {
        const string op = "op-slow";
        await browser.Push([Pushes.SwState("downloading", "meter-slow-1", op, "sub-slow-1")]);
        using (browser.ScreenshotWhenDone(nameof(ASlowApi_GetsOneRequestAtATime_NeverAPileOfThem)))
        {
            browser.Open($"#/task/{op}");
            DashboardBrowser.WaitFor(() => Driver.FindElements(By.CssSelector(".summary .legend li[data-phase='downloading'][data-count='1']")).Count == 1, "the task");

            // Every answer now takes 6 s, longer than the 5 s refresh: a timer that fires regardless would overlap requests.
            Driver.ExecuteScript("""
                window.calls = 0; window.inFlight = 0; window.maxInFlight = 0;
                const original = window.fetch;
                window.fetch = function () {
                  window.calls++; window.inFlight++; window.maxInFlight = Math.max(window.maxInFlight, window.inFlight);
                  const args = arguments;
                  return new Promise(resolve => setTimeout(resolve, 6000))
                    .then(() => original.apply(window, args))
                    .finally(() => window.inFlight--);
                };
                """);
            await Task.Delay(TimeSpan.FromSeconds(13));

            var calls = Convert.ToInt64(Driver.ExecuteScript("return window.calls;"), CultureInfo.InvariantCulture);
            var most = Convert.ToInt64(Driver.ExecuteScript("return window.maxInFlight;"), CultureInfo.InvariantCulture);
            Assert.InRange(calls, 1, 2);
            Assert.Equal(1, most);
            Assert.Empty(Driver.FindElements(By.CssSelector("#banner:not([hidden])")));
        }

        Driver.Navigate().Refresh(); // the next test gets the browser's own fetch back
    }
}
