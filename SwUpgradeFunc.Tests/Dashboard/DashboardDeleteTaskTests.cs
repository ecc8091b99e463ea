using System.Net;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using SwUpgradeFunc.Tests.TestSupport;

namespace SwUpgradeFunc.Tests.Dashboard;

/// <summary>The task view's "Delete task" button in a real headless Chromium against the app on Kestrel and Azurite.</summary>
[Collection(DashboardBrowserCollection.Name)]
public sealed class DashboardDeleteTaskTests(DashboardBrowser browser)
{
    private ChromeDriver Driver => browser.Driver;

    [Fact]
    public async Task DeleteTask_AsksForConfirmation_ThenDeletesUntilDone_AndReturnsToTheTaskList()
    {
        const string op = "op-delete-from-page";
        await browser.Push([.. Enumerable.Range(0, 3).Select(d => Pushes.SwState("downloading", $"meter-del-{d}", op, $"sub-del-{d}"))]);

        using (browser.ScreenshotWhenDone(nameof(DeleteTask_AsksForConfirmation_ThenDeletesUntilDone_AndReturnsToTheTaskList)))
        {
            browser.Open($"#/task/{op}");
            var button = DashboardBrowser.WaitFor(() => Driver.FindElement(By.Id("delete-task")), "the Delete task button");

            button.Click();
            var confirm = Driver.SwitchTo().Alert();
            Assert.Contains(op, confirm.Text, StringComparison.Ordinal);
            confirm.Dismiss();
            using (var kept = await browser.Api($"/api/upgrades/{op}"))
            {
                Assert.Equal(3, kept.RootElement.GetProperty("total").GetInt32());
            }

            Driver.FindElement(By.Id("delete-task")).Click();
            Driver.SwitchTo().Alert().Accept();
            DashboardBrowser.WaitFor(() => Driver.FindElements(By.Id("delete-task")).Count == 0 && new Uri(Driver.Url).Fragment == "#/",
                "the task list after the deletion", TimeSpan.FromSeconds(60));
        }

        using var response = await browser.Host.Client.DeleteAsync($"/api/upgrades/{op}");
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        using var gone = await browser.Host.Client.GetAsync($"/api/upgrades/{op}");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }
}
