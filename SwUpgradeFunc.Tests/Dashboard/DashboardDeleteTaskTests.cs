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

        // The view re-renders on its refresh, so a click may meet a replaced button, and the dialog may open a moment later:
        // ask again until the dialog is there (a dialog already open is taken, never a second click).
        IAlert AskToDelete() => DashboardBrowser.WaitFor(() =>
        {
            try
            {
                return Driver.SwitchTo().Alert();
            }
            catch (NoAlertPresentException)
            {
                Driver.FindElement(By.Id("delete-task")).Click();
                return Driver.SwitchTo().Alert();
            }
        }, "the confirmation dialog");

        using (browser.ScreenshotWhenDone(nameof(DeleteTask_AsksForConfirmation_ThenDeletesUntilDone_AndReturnsToTheTaskList)))
        {
            browser.Open($"#/task/{op}");
            var confirm = AskToDelete();
            Assert.Contains(op, confirm.Text, StringComparison.Ordinal);
            confirm.Dismiss();
            using (var kept = await browser.Api($"/api/upgrades/{op}"))
            {
                Assert.Equal(3, kept.RootElement.GetProperty("total").GetInt32());
            }

            AskToDelete().Accept();
            DashboardBrowser.WaitFor(() => Driver.FindElements(By.Id("delete-task")).Count == 0 && new Uri(Driver.Url).Fragment == "#/",
                "the task list after the deletion", TimeSpan.FromSeconds(60));
        }

        using var response = await browser.Host.Client.DeleteAsync($"/api/upgrades/{op}");
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        using var gone = await browser.Host.Client.GetAsync($"/api/upgrades/{op}");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }
}
