using System.Text.RegularExpressions;
using SwUpgrade.Cli.Commands;
using SwUpgradeFunc.Platform;
using SwUpgradeFunc.Reconciliation;
using SwUpgradeFunc.Tests.TestSupport;

namespace SwUpgradeFunc.Tests.Platform;

/// <summary>
/// The library is shared by the CLI and the function app, which name their settings differently: its messages name no
/// caller's setting, and each caller turns the <see cref="PlatformException.Fix"/> hint into advice in its own names.
/// </summary>
public sealed partial class PlatformMessagesTests
{
    public static TheoryData<string, string> LibraryFailures()
    {
        var data = new TheoryData<string, string>();
        foreach (var (status, code) in new (int, string?)[]
        {
            (401, "100208"), (403, "100247"), (400, "100203"), (401, "1010005"), (403, "100217"), (429, "1010009"), (400, "100222"),
            (409, "100227"), (400, "100228"), (400, "102202"), (401, "999"), (404, null), (500, "50252"), (400, "123"),
        })
        {
            data.Add($"{status} {code}", PlatformErrors.ToException(status, code, "said", "Subscribing", "https://a.example:443/x").Message);
        }

        var conflict = PlatformErrors.ToException(409, "100227", null, "Subscribing");
        foreach (var holders in new[] { 0, 1, 2 })
        {
            var urls = new[] { "https://old.example:443/a", "https://old.example:443/b" }.Take(holders).ToArray();
            data.Add($"100227 with {holders} holder(s)",
                PlatformErrors.AlreadySubscribedElsewhere(conflict, "Subscribing t", "t", "https://new.example:443/x", urls).Message);
        }

        data.Add("still throttled", PlatformErrors.StillThrottled(429, "1010009", null, "Listing", 5, TimeSpan.FromSeconds(60)).Message);
        foreach (var url in new[] { "", "relative/push", "http://a.example/push", "ftp://a.example/push", "https://a.example/p#f" })
        {
            data.Add($"callback URL '{url}'", Assert.Throws<InvalidCallbackUrlException>(() => CallbackUrl.Normalize(url)).Message);
        }

        foreach (var (name, options) in new (string, PlatformClientOptions)[]
        {
            ("no URL", new() { AppId = "a", Secret = "s" }),
            ("http URL", new() { BaseUrl = new Uri("http://p.example:8743"), AppId = "a", Secret = "s" }),
            ("no appId", new() { BaseUrl = new Uri("https://p.example:8743"), Secret = "s" }),
            ("no secret", new() { BaseUrl = new Uri("https://p.example:8743"), AppId = "a" }),
            ("no CA file", new() { BaseUrl = new Uri("https://p.example:8743"), AppId = "a", Secret = "s", CaFile = "/no/such/ca.pem" }),
            ("no client certificate", new() { BaseUrl = new Uri("https://p.example:8743"), AppId = "a", Secret = "s", ClientCertificateFile = "/no/such.p12" }),
        })
        {
            data.Add(name, Assert.Throws<PlatformConfigurationException>(() => new HuaweiIotPlatformClient(options)).Message);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(LibraryFailures))]
    public void LibraryMessages_NameNoCallersSettings(string failure, string message)
    {
        Assert.False(string.IsNullOrWhiteSpace(message), failure);
        AssertNoCliWords(message);
        Assert.DoesNotContain("Platform__", message, StringComparison.Ordinal);
    }

    [Fact]
    public void LibrarySource_NamesNoCliVariableFlagOrCommand()
    {
        var files = Directory.GetFiles(RepositoryPaths.Combine("SwUpgradeFunc.Platform"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .ToList();

        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            foreach (var (line, number) in File.ReadLines(file).Select((l, i) => (l, i + 1)))
            {
                Assert.False(CliWords().IsMatch(line), $"{Path.GetFileName(file)}:{number} names a CLI setting: {line.Trim()}");
            }
        }
    }

    [Fact]
    public void EveryHint_HasCliAdvice_InTheCliNames()
    {
        foreach (var fix in Enum.GetValues<PlatformFix>())
        {
            var advice = CliAdvice.For(new PlatformException("failed.") { Fix = fix });

            Assert.False(string.IsNullOrWhiteSpace(advice), fix.ToString());
            Assert.DoesNotContain("Platform__", advice, StringComparison.Ordinal);
        }

        Assert.Null(CliAdvice.For(new PlatformException("failed.")));
        Assert.Equal("failed.", CliAdvice.Describe(new PlatformException("failed.")));
    }

    [Theory]
    [InlineData(PlatformFix.PlatformUrl, "Platform__BaseUrl")]
    [InlineData(PlatformFix.AppId, "Platform__AppId")]
    [InlineData(PlatformFix.AppSecret, "Platform__AppSecret")]
    [InlineData(PlatformFix.AppIdAndSecret, "Platform__AppId and Platform__AppSecret")]
    [InlineData(PlatformFix.CaFile, "Platform__CaFile")]
    [InlineData(PlatformFix.ClientCertificate, "no client certificate")]
    public void TheAppsAdvice_NamesItsOwnSettings_NeverTheCli(PlatformFix fix, string expected)
    {
        var text = PlatformAdvice.Describe(new PlatformUnreachableException("failed.") { Fix = fix });

        Assert.StartsWith("failed. ", text, StringComparison.Ordinal);
        Assert.Contains(expected, text, StringComparison.Ordinal);
        AssertNoCliWords(text);
    }

    [Theory]
    [InlineData(PlatformFix.CallbackUrlScheme)]
    [InlineData(PlatformFix.ExistingSubscription)]
    [InlineData(PlatformFix.SubscriptionId)]
    public void TheAppsAdvice_LeavesOutWhatOnlyTheCliDoes(PlatformFix fix) =>
        Assert.Equal("failed.", PlatformAdvice.Describe(new PlatformException("failed.") { Fix = fix }));

    private static void AssertNoCliWords(string text) => Assert.False(CliWords().IsMatch(text), text);

    /// <summary>The CLI's variables, any <c>--flag</c>, or a <c>swupgrade</c> command line.</summary>
    [GeneratedRegex(@"SWUPGRADE_|(?<![\w-])--[a-z]|'swupgrade ")]
    private static partial Regex CliWords();
}
