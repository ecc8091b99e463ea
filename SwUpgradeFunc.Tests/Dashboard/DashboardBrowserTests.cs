using System.Text.Json;
using System.Text.Json.Nodes;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using SwUpgradeFunc.Tests.TestSupport;

namespace SwUpgradeFunc.Tests.Dashboard;

/// <summary>
/// The operator page in a real headless Chromium against the app on Kestrel, fed by pushes through the receiver and
/// the processor. Each test saves a screenshot under TestResults/dashboard.
/// </summary>
[Collection(DashboardBrowserCollection.Name)]
public sealed class DashboardBrowserTests(DashboardBrowser browser)
{
    private ChromeDriver Driver => browser.Driver;

    private const string FleetTask = DashboardBrowser.FleetTask;

    private Dictionary<string, int> LegendCounts(string scope) =>
        Driver.FindElements(By.CssSelector(scope + " .legend li[data-phase]"))
            .ToDictionary(li => li.GetAttribute("data-phase")!, li => int.Parse(li.GetAttribute("data-count")!, System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public async Task TaskView_BarShowsTheApisCounts_AsTextWithPercentages()
    {
        using var api = await browser.Api($"/api/upgrades/{FleetTask}");
        var total = api.RootElement.GetProperty("total").GetInt32();
        var expected = api.RootElement.GetProperty("phases").EnumerateObject()
            .Where(p => p.Value.GetInt32() > 0 && p.Name != "none")
            .ToDictionary(p => p.Name, p => p.Value.GetInt32());

        using (browser.ScreenshotWhenDone(nameof(TaskView_BarShowsTheApisCounts_AsTextWithPercentages)))
        {
            browser.Open($"#/task/{FleetTask}");
            DashboardBrowser.WaitFor(() => Driver.FindElements(By.CssSelector(".summary .bar-large .legend li")).Count > 0, "the task's bar");

            var shown = LegendCounts(".summary .bar-large").Where(p => p.Value > 0 && p.Key != "stalled").ToDictionary();
            Assert.Equal(expected.OrderBy(p => p.Key), shown.OrderBy(p => p.Key));
            Assert.Equal(48, total);
            var failed = Driver.FindElement(By.CssSelector(".summary .bar-large .legend li[data-phase='failed']")).Text;
            Assert.Equal($"failed {expected["failed"]} ({expected["failed"] * 100.0 / total:F1}%)", failed);
            Assert.Equal(expected.Count, Driver.FindElements(By.CssSelector(".summary .bar-large .bar-track .segment")).Count);
            var rows = Driver.FindElements(By.CssSelector("#subtasks tbody tr"));
            Assert.Equal(total, rows.Count);
        }
    }

    [Fact]
    public async Task DeviceView_ShowsThePushesInReceivedOrder_WithTheirVerdicts()
    {
        const string device = "meter-timeline";
        const string op = "op-timeline";
        var sent = new[]
        {
            Pushes.SwState("downloaded", device, op, "sub-t"),
            Pushes.SwState("updating", device, op, "sub-t"),
            Pushes.SwState("downloading", device, op, "sub-t"), // late: an earlier state after a later one
            Pushes.SwState("idle", device, op, "sub-t"),
            Pushes.SwResult("SUCCESS", device, op, "sub-t"),
        };
        await browser.Push(sent, parallelism: 1);
        using var api = await browser.Api($"/api/devices/{device}/upgrades");
        var history = api.RootElement.GetProperty("subTasks")[0].GetProperty("history").EnumerateArray()
            .Select(h => (h.GetProperty("value").GetString(), h.GetProperty("verdict").GetString())).ToList();

        using (browser.ScreenshotWhenDone(nameof(DeviceView_ShowsThePushesInReceivedOrder_WithTheirVerdicts)))
        {
            browser.Open($"#/device/{device}");
            var rows = DashboardBrowser.WaitFor(() =>
            {
                var found = Driver.FindElements(By.CssSelector(".subtask tbody tr"));
                return found.Count == sent.Length ? found.ToList() : null;
            }, "the device's timeline");

            var shown = rows!.Select(r => (r.FindElement(By.CssSelector("td[data-label='Value']")).Text,
                r.FindElement(By.CssSelector("td[data-label='Verdict']")).Text)).ToList();
            Assert.Equal(["downloaded", "updating", "downloading", "idle", "SUCCESS"], shown.Select(s => s.Item1));
            Assert.Equal(history, shown.Select(s => ((string?)s.Item1, (string?)s.Item2)));
            Assert.Equal(["advanced-skipping-steps", "advanced", "stale", "advanced", "settled"], shown.Select(s => s.Item2));
            Assert.Contains("swUpgradeStateChangeNotify", rows![0].Text, StringComparison.Ordinal);
            Assert.Contains("2.0.0", Driver.FindElement(By.CssSelector(".subtask .facts")).Text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task APushSentWhileThePageIsOpen_AppearsWithinOneRefresh()
    {
        const string op = "op-live";
        await browser.Push([Pushes.SwState("downloading", "meter-live-1", op, "sub-live-1")]);

        using (browser.ScreenshotWhenDone(nameof(APushSentWhileThePageIsOpen_AppearsWithinOneRefresh)))
        {
            browser.Open($"#/task/{op}");
            DashboardBrowser.WaitFor(() => LegendCounts(".summary").GetValueOrDefault("downloading") == 1, "the first push");
            Assert.Equal(0, LegendCounts(".summary").GetValueOrDefault("updating"));

            await browser.Push([
                Pushes.SwState("updating", "meter-live-1", op, "sub-live-1"),
                Pushes.SwState("downloading", "meter-live-2", op, "sub-live-2"),
            ]);

            // One refresh is 5 s; the margin covers the request itself.
            DashboardBrowser.WaitFor(() => LegendCounts(".summary").GetValueOrDefault("updating") == 1, "the new push on the page", TimeSpan.FromSeconds(7));
            Assert.Equal(1, LegendCounts(".summary").GetValueOrDefault("downloading"));
            Assert.Equal(2, Driver.FindElements(By.CssSelector("#subtasks tbody tr")).Count);
            Assert.Matches(@"^Updated \d+ s ago", Driver.FindElement(By.Id("updated")).Text);
        }
    }

    [Fact]
    public async Task AWrongKey_BringsThePromptBack_AndTheRightKeyOpensTheView()
    {
        using (browser.ScreenshotWhenDone(nameof(AWrongKey_BringsThePromptBack_AndTheRightKeyOpensTheView)))
        {
            browser.Open("#/");
            Driver.ExecuteScript("sessionStorage.setItem('swupgrade.functionKey', 'not-the-key');");
            Driver.Navigate().GoToUrl(new Uri(browser.Host.BaseAddress, $"/dashboard#/task/{FleetTask}"));

            DashboardBrowser.WaitFor(() => Driver.FindElement(By.Id("key-view")).Displayed, "the key prompt");
            Assert.True(Driver.FindElement(By.Id("key-error")).Displayed);
            Assert.False(Driver.FindElement(By.Id("view")).Displayed);
            Assert.Equal("key-input", Driver.SwitchTo().ActiveElement().GetAttribute("id"));
            Assert.Null(Driver.ExecuteScript("return sessionStorage.getItem('swupgrade.functionKey');"));
            Assert.DoesNotContain("not-the-key", Driver.Url, StringComparison.Ordinal);
            browser.SaveScreenshot(nameof(AWrongKey_BringsThePromptBack_AndTheRightKeyOpensTheView) + "-prompt");

            browser.EnterKey(browser.Host.FunctionKey);

            DashboardBrowser.WaitFor(() => Driver.FindElements(By.CssSelector(".summary .legend li")).Count > 0, "the task after the right key");
            Assert.False(Driver.FindElement(By.Id("key-view")).Displayed);
            Assert.DoesNotContain(browser.Host.FunctionKey, Driver.Url, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void AnApiError_KeepsTheLastDataAndShowsABanner()
    {
        using (browser.ScreenshotWhenDone(nameof(AnApiError_KeepsTheLastDataAndShowsABanner)))
        {
            browser.Open($"#/task/{FleetTask}");
            DashboardBrowser.WaitFor(() => LegendCounts(".summary").GetValueOrDefault("succeeded") == 30, "the task's data");

            // From now on the API answers 503 with a problem detail, as it does when storage is down.
            Driver.ExecuteScript("""
                window.fetch = () => Promise.resolve(new Response(
                  JSON.stringify({ title: 'Storage unavailable', detail: 'The state store did not answer.' }),
                  { status: 503, headers: { 'Content-Type': 'application/problem+json' } }));
                """);
            var banner = DashboardBrowser.WaitFor(() => Driver.FindElement(By.Id("banner")) is { Displayed: true } b ? b : null,
                "the error banner", TimeSpan.FromSeconds(7))!;

            Assert.Contains("503", banner.Text, StringComparison.Ordinal);
            Assert.Contains("The state store did not answer.", banner.Text, StringComparison.Ordinal);
            Assert.Equal(30, LegendCounts(".summary").GetValueOrDefault("succeeded"));
            Assert.Equal(48, Driver.FindElements(By.CssSelector("#subtasks tbody tr")).Count);
        }

        Driver.Navigate().Refresh(); // the next test gets the browser's own fetch back
    }

    [Fact]
    public void AnUnknownTask_ShowsTheApisProblemInTheBanner()
    {
        using (browser.ScreenshotWhenDone(nameof(AnUnknownTask_ShowsTheApisProblemInTheBanner)))
        {
            browser.Open("#/task/op-never-pushed");

            var banner = DashboardBrowser.WaitFor(() => Driver.FindElement(By.Id("banner")) is { Displayed: true } b ? b : null, "the error banner")!;
            Assert.Contains("404", banner.Text, StringComparison.Ordinal);
            Assert.Contains("No push has been recorded", banner.Text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task At390PixelsWide_ThePageHasNoHorizontalScroll()
    {
        using (browser.Viewport(390, 844))
        {
            foreach (var (hash, name) in new[] { ($"#/task/{FleetTask}", "task"), ("#/device/meter-0031", "device") })
            {
                browser.Open(hash);
                DashboardBrowser.WaitFor(() => Driver.FindElements(By.CssSelector("tbody tr")).Count > 0, $"the {name} view");
                var (scrollWidth, viewportWidth) = ScrollAndViewportWidth();
                browser.SaveScreenshot($"{nameof(At390PixelsWide_ThePageHasNoHorizontalScroll)}-{name}");
                Assert.Equal(390L, viewportWidth);
                Assert.True(scrollWidth <= viewportWidth, $"{name} view: {scrollWidth} px of content in a {viewportWidth} px viewport");
            }
        }
    }

    private (long ScrollWidth, long ViewportWidth) ScrollAndViewportWidth()
    {
        var widths = (IReadOnlyCollection<object?>)Driver.ExecuteScript(
            "return [document.documentElement.scrollWidth, window.innerWidth];")!;
        var values = widths.Select(w => Convert.ToInt64(w, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        return (values[0], values[1]);
    }
}
