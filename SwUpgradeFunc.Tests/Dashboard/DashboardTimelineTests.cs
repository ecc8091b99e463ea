using System.Globalization;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;

namespace SwUpgradeFunc.Tests.Dashboard;

/// <summary>The task view's chart of settled sub-tasks over time, against the timeline route's numbers, wide and at phone width.</summary>
[Collection(DashboardBrowserCollection.Name)]
public sealed class DashboardTimelineTests(DashboardBrowser browser)
{
    private ChromeDriver Driver => browser.Driver;

    [Theory]
    [InlineData(1280, 900)]
    [InlineData(390, 844)]
    public async Task TaskView_ChartsTheSettlesOverTime_WithTheApisNumbersAsText(int width, int height)
    {
        using (browser.Viewport(width, height))
        {
            browser.Open($"#/task/{DashboardBrowser.FleetTask}");
            var figure = DashboardBrowser.WaitFor(() => Driver.FindElements(By.CssSelector("figure.timeline")).FirstOrDefault(), "the timeline chart");
            var interval = figure!.GetAttribute("data-interval");
            using var api = await browser.Api($"/api/upgrades/{DashboardBrowser.FleetTask}/timeline?interval={interval}");
            var root = api.RootElement;
            var (succeeded, failed) = (root.GetProperty("succeededBefore").GetInt32(), root.GetProperty("failedBefore").GetInt32());
            var expected = new List<(DateTimeOffset, int, int, int)>();
            foreach (var i in root.GetProperty("intervals").EnumerateArray())
            {
                var (s, f, p) = (i.GetProperty("succeeded").GetInt32(), i.GetProperty("failed").GetInt32(), i.GetProperty("pushes").GetInt32());
                (succeeded, failed) = (succeeded + s, failed + f);
                if (s + f + p > 0)
                {
                    expected.Add((i.GetProperty("start").GetDateTimeOffset(), succeeded, failed, p));
                }
            }

            browser.SaveScreenshot($"{nameof(TaskView_ChartsTheSettlesOverTime_WithTheApisNumbersAsText)}-{width}");

            // The fleet settled some and failed some: a chart of nothing would pass the comparisons below.
            Assert.True(succeeded > 0 && failed > 0, $"{succeeded} succeeded, {failed} failed");
            Assert.Equal((root.GetProperty("succeeded").GetInt32(), root.GetProperty("failed").GetInt32()), (succeeded, failed));
            var caption = figure.FindElement(By.TagName("figcaption")).Text;
            Assert.Contains($"succeeded {succeeded}", caption, StringComparison.Ordinal);
            Assert.Contains($"failed {failed}", caption, StringComparison.Ordinal);
            Assert.Contains($"of {root.GetProperty("total").GetInt32()}, {root.GetProperty("unsettled").GetInt32()} unsettled", caption, StringComparison.Ordinal);

            var shown = figure.FindElements(By.CssSelector("table.timeline-values tbody tr")).Select(row =>
            {
                var cells = row.FindElements(By.TagName("td")).Select(c => c.GetAttribute("textContent")!).ToList();
                return (DateTimeOffset.Parse(row.GetAttribute("data-start")!, CultureInfo.InvariantCulture),
                    int.Parse(cells[1], CultureInfo.InvariantCulture), int.Parse(cells[2], CultureInfo.InvariantCulture),
                    int.Parse(cells[3], CultureInfo.InvariantCulture));
            }).ToList();
            Assert.Equal(expected, shown);

            // The projection is drawn exactly when the API gives one.
            var eta = root.GetProperty("eta").ValueKind != System.Text.Json.JsonValueKind.Null;
            Assert.Equal(eta, figure.FindElements(By.CssSelector("svg [data-series='eta']")).Count == 1);
            Assert.Equal(eta, figure.FindElement(By.CssSelector("figcaption .eta")).Text.StartsWith("Projected end", StringComparison.Ordinal));

            var chart = figure.FindElement(By.CssSelector("svg.timeline-chart"));
            Assert.Equal(2, chart.FindElements(By.CssSelector("path.chart-line")).Count);
            Assert.InRange(chart.Size.Width, width / 2, width);
            var scrollWidth = Convert.ToInt64(Driver.ExecuteScript("return document.documentElement.scrollWidth;"), CultureInfo.InvariantCulture);
            Assert.True(scrollWidth <= width, $"{scrollWidth} px of content in a {width} px viewport");
        }
    }
}
