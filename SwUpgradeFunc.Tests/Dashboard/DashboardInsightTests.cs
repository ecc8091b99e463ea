using System.Globalization;
using System.Text.Json;
using Azure.Data.Tables;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using SwUpgradeFunc.Tests.TestSupport;

namespace SwUpgradeFunc.Tests.Dashboard;

/// <summary>
/// The task view's failure reasons and source versions in a real headless Chromium, against the API's own answers for
/// the fleet of <see cref="DashboardBrowser"/>, wide and phone-sized.
/// </summary>
[Collection(DashboardBrowserCollection.Name)]
public sealed class DashboardInsightTests(DashboardBrowser browser)
{
    private const string FleetTask = DashboardBrowser.FleetTask;

    private ChromeDriver Driver => browser.Driver;

    private static IDisposable? SizeFor(DashboardBrowser browser, int width) => width == 1280 ? null : browser.Viewport(width, 844);

    [Theory]
    [InlineData(1280)]
    [InlineData(390)]
    public async Task TaskView_ShowsTheFailureReasonsAndSourceVersions_WithTheApisNumbers(int width)
    {
        using var failures = await browser.Api($"/api/upgrades/{FleetTask}/failures");
        using var versions = await browser.Api($"/api/upgrades/{FleetTask}/versions");
        var expectedReasons = failures.RootElement.GetProperty("reasons").EnumerateArray()
            .Select(r => (r.GetProperty("errorCode").GetString() ?? "", r.GetProperty("count").GetInt32(),
                r.GetProperty("share").GetDouble(), r.GetProperty("resultDesc").GetString()))
            .ToList();
        var expectedVersions = versions.RootElement.GetProperty("versions").EnumerateArray()
            .Select(v => (v.GetProperty("sourceVersion").GetString() ?? "", v.GetProperty("succeeded").GetInt32(), v.GetProperty("failed").GetInt32()))
            .ToList();

        using (SizeFor(browser, width))
        using (browser.ScreenshotWhenDone($"{nameof(TaskView_ShowsTheFailureReasonsAndSourceVersions_WithTheApisNumbers)}-{width}"))
        {
            browser.Open($"#/task/{FleetTask}");
            DashboardBrowser.WaitFor(() => Driver.FindElements(By.CssSelector("#failure-reasons li.reason")).Count > 0, "the failure reasons");
            DashboardBrowser.WaitFor(() => Driver.FindElements(By.CssSelector("#source-versions tbody tr")).Count > 0, "the source versions");

            var reasons = Driver.FindElements(By.CssSelector("#failure-reasons li.reason"));
            Assert.Equal(3, expectedReasons.Count);
            Assert.Equal(expectedReasons.Select(r => (r.Item1, r.Item2)),
                reasons.Select(li => (li.GetAttribute("data-error-code")!, int.Parse(li.GetAttribute("data-count")!, CultureInfo.InvariantCulture))));
            for (var i = 0; i < reasons.Count; i++)
            {
                var (code, count, share, description) = expectedReasons[i];
                Assert.Equal(code, reasons[i].FindElement(By.CssSelector("a.reason-code")).Text);
                Assert.Equal(string.Create(CultureInfo.InvariantCulture, $"{count} ({share * 100:F1}%)"), reasons[i].FindElement(By.CssSelector(".reason-count")).Text);
                Assert.StartsWith(description!, reasons[i].FindElement(By.CssSelector(".reason-detail")).Text, StringComparison.Ordinal);
                var bar = reasons[i].FindElement(By.CssSelector(".share-fill")).GetAttribute("style");
                Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"width: {share * 100:0.##}"), bar, StringComparison.Ordinal);
            }

            var rows = Driver.FindElements(By.CssSelector("#source-versions tbody tr"));
            Assert.Equal(expectedVersions, rows.Select(tr => (tr.GetAttribute("data-version")!,
                int.Parse(tr.GetAttribute("data-succeeded")!, CultureInfo.InvariantCulture), int.Parse(tr.GetAttribute("data-failed")!, CultureInfo.InvariantCulture))));
            Assert.Contains("2.3.9", rows[0].Text, StringComparison.Ordinal);
            // Without an errorCode filter the view holds no filter line, and no stray text where it would stand.
            Assert.Empty(Driver.FindElements(By.CssSelector(".error-filter")));
            Assert.DoesNotContain("null", Driver.FindElement(By.Id("view")).Text, StringComparison.Ordinal);

            var widths = (IReadOnlyCollection<object?>)Driver.ExecuteScript("return [document.documentElement.scrollWidth, window.innerWidth];")!;
            var (scrollWidth, viewportWidth) = (Convert.ToInt64(widths.First(), CultureInfo.InvariantCulture), Convert.ToInt64(widths.Last(), CultureInfo.InvariantCulture));
            Assert.Equal(width, viewportWidth);
            Assert.True(scrollWidth <= viewportWidth, $"{scrollWidth} px of content in a {viewportWidth} px viewport");
        }
    }

    [Fact]
    public async Task AFailureReason_OpensTheSubTasksFailedWithItsErrorCode()
    {
        using var failures = await browser.Api($"/api/upgrades/{FleetTask}/failures");
        var code = failures.RootElement.GetProperty("reasons")[0].GetProperty("errorCode").GetString()!;
        using var listed = await browser.Api($"/api/upgrades/{FleetTask}/subtasks?errorCode={code}");
        var devices = listed.RootElement.GetProperty("subTasks").EnumerateArray().Select(r => r.GetProperty("deviceId").GetString()).Order(StringComparer.Ordinal).ToList();

        using (browser.ScreenshotWhenDone(nameof(AFailureReason_OpensTheSubTasksFailedWithItsErrorCode)))
        {
            browser.Open($"#/task/{FleetTask}");
            var link = DashboardBrowser.WaitFor(() => Driver.FindElements(By.CssSelector("#failure-reasons a.reason-code")).FirstOrDefault(), "a reason's link")!;
            Assert.Equal(code, link.Text);
            link.Click();
            DashboardBrowser.WaitFor(() => Driver.Url.Contains("errorCode=" + code, StringComparison.Ordinal) &&
                                           Driver.FindElements(By.CssSelector(".error-filter")).Count == 1 &&
                                           Driver.FindElements(By.CssSelector("#subtasks tbody tr")).Count == devices.Count, "the list filtered by the code");

            var rows = Driver.FindElements(By.CssSelector("#subtasks tbody tr"));
            Assert.Equal(devices, rows.Select(r => r.GetAttribute("data-device")).Order(StringComparer.Ordinal));
            Assert.All(rows, r => Assert.Equal("failed", r.GetAttribute("data-phase")));
            Assert.All(rows, r => Assert.Contains(code, r.Text, StringComparison.Ordinal));
            Assert.Equal(2, devices.Count);
        }
    }

    [Fact]
    public async Task SourceVersions_SayHowManySettlesAreNotCountedByVersion_ForRowsOfAnEarlierVersion()
    {
        const string task = "op-2026-10-before-versions";
        await browser.Push(Enumerable.Range(1, 3).SelectMany(n => new[]
        {
            Pushes.SwState("downloading", $"old-{n}", task, $"sub-old-{n}"),
            Pushes.SwResult(n == 1 ? "FAIL" : "SUCCESS", $"old-{n}", task, $"sub-old-{n}"),
        }));
        await EarlierVersionRows.ForgetSourceVersionsAsync(new TableClient(AzuriteServer.ConnectionString, browser.TableName), task);
        using var versions = await browser.Api($"/api/upgrades/{task}/versions");
        Assert.Equal((3, 3), (versions.RootElement.GetProperty("settled").GetInt32(), versions.RootElement.GetProperty("uncounted").GetInt32()));

        using (browser.ScreenshotWhenDone(nameof(SourceVersions_SayHowManySettlesAreNotCountedByVersion_ForRowsOfAnEarlierVersion)))
        {
            browser.Open($"#/task/{task}");
            var note = DashboardBrowser.WaitFor(() => Driver.FindElements(By.CssSelector("#source-versions .versions-uncounted")).FirstOrDefault(),
                "the note on uncounted settles")!;

            Assert.Equal("3", note.GetAttribute("data-uncounted"));
            Assert.StartsWith("3 of the 3 settled sub-tasks settled before source versions were counted", note.Text, StringComparison.Ordinal);
            Assert.Contains("No settled sub-task is counted by source version yet.", Driver.FindElement(By.Id("source-versions")).Text,
                StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task SourceVersions_ShowNoNote_WhenEverySettleIsCountedByVersion()
    {
        using var versions = await browser.Api($"/api/upgrades/{FleetTask}/versions");
        Assert.Equal(0, versions.RootElement.GetProperty("uncounted").GetInt32());

        browser.Open($"#/task/{FleetTask}");
        DashboardBrowser.WaitFor(() => Driver.FindElements(By.CssSelector("#source-versions tbody tr")).Count > 0, "the source versions");

        Assert.Empty(Driver.FindElements(By.CssSelector("#source-versions .versions-uncounted")));
    }
}
