using System.Drawing;
using OpenQA.Selenium.Chrome;

namespace SwUpgradeFunc.Tests.TestSupport;

/// <summary>
/// Headless Chromium from the system's packages, driven by the system's chromedriver. Both paths are given, so
/// Selenium Manager never looks for (or downloads) a browser or a driver. A machine without them fails the browser
/// tests with the command that installs them: the tests never skip.
/// </summary>
public static class SystemChromium
{
    public const string BrowserPath = "/usr/bin/chromium";
    public const string DriverPath = "/usr/bin/chromedriver";
    public const string InstallCommand = "apt-get update && apt-get install -y chromium chromium-driver";

    public static ChromeDriver Start(Size viewport)
    {
        var missing = new[] { BrowserPath, DriverPath }.Where(path => !File.Exists(path)).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidOperationException(
                $"The browser tests need Debian's chromium and chromium-driver ({string.Join(", ", missing)} missing). " +
                $"Install them with: {InstallCommand} (as root; tools/test.sh does it when run as root).");
        }

        Environment.SetEnvironmentVariable("SE_OFFLINE", "true");
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(DriverPath)!, Path.GetFileName(DriverPath));
        service.HideCommandPromptWindow = true;
        service.SuppressInitialDiagnosticInformation = true;
        var options = new ChromeOptions { BinaryLocation = BrowserPath };
        options.AddArguments(
            "--headless=new",
            "--no-sandbox", // the tests run as root in CI
            "--disable-dev-shm-usage",
            "--disable-gpu",
            "--disable-extensions",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--lang=en-US",
            $"--window-size={viewport.Width},{viewport.Height}");
        return new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
    }
}
