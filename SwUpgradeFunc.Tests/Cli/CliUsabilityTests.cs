using System.CommandLine;
using System.Text.Json;
using SwUpgrade.Cli;
using SwUpgrade.Cli.Commands;

namespace SwUpgradeFunc.Tests.Cli;

/// <summary>What a new operator meets: deleting by the URL as typed, options without values, messages, help.</summary>
public sealed class CliUsabilityTests : CliTests
{
    private const string Typed = "https://myfunc.example.net/v1.0.0/messageReceiver";
    private const string Stored = "https://myfunc.example.net:443/v1.0.0/messageReceiver";

    [Fact]
    public async Task DeleteByTheUrlAsTyped_DeletesWhatSubscribeStored_AndMovingToANewUrlWorks()
    {
        Assert.Equal(0, (await RunAsync("subscribe", "--callback-url", Typed, "--notify-type", "deviceAdded")).ExitCode);
        Assert.Equal(Stored, Fake.Subscriptions.Single().CallbackUrl);

        var delete = await RunAsync("subscriptions", "delete", "--notify-type", "deviceAdded", "--callback-url", Typed);
        var again = await RunAsync("subscribe", "--callback-url", "https://myfunc.example.net/v2/messageReceiver", "--notify-type", "deviceAdded");

        Assert.Equal(0, delete.ExitCode);
        Assert.Equal($"Deleted 1 deviceAdded subscription to {Stored}.", delete.Stdout.Trim());
        Assert.Equal(0, again.ExitCode);
        Assert.Equal("https://myfunc.example.net:443/v2/messageReceiver", Fake.Subscriptions.Single().CallbackUrl);
    }

    [Fact]
    public async Task DeleteThatMatchesNothing_SaysNothingWasDeleted_AndCountsZero()
    {
        Fake.AddSubscription("deviceAdded", Stored);

        var text = await RunAsync("subscriptions", "delete", "--notify-type", "deviceAdded", "--callback-url", "https://myfunc.example.net/other");
        var json = await RunAsync("subscriptions", "delete", "--notify-type", "deviceAdded", "--callback-url", "https://myfunc.example.net/other", "--json");

        Assert.StartsWith("Nothing was deleted: no deviceAdded subscription to https://myfunc.example.net:443/other was listed.", text.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("Deleted", text.Stdout, StringComparison.Ordinal);
        Assert.Equal(0, JsonDocument.Parse(json.Stdout).RootElement.GetProperty("deleted").GetProperty("removed").GetInt32());
        Assert.Single(Fake.Subscriptions);
    }

    [Fact]
    public async Task DeleteByType_CountsWhatItRemoved()
    {
        Fake.AddSubscription("swUpgradeStateChangeNotify", Stored);
        Fake.AddSubscription("swUpgradeResultNotify", Stored);

        var run = await RunAsync("subscriptions", "delete", "--notify-type", "swUpgradeStateChangeNotify", "--json");

        var deleted = JsonDocument.Parse(run.Stdout).RootElement.GetProperty("deleted");
        Assert.Equal(1, deleted.GetProperty("removed").GetInt32());
        Assert.Equal(0, deleted.GetProperty("remaining").GetInt32());
        Assert.Equal("swUpgradeResultNotify", Fake.Subscriptions.Single().NotifyType);
    }

    [Theory]
    [InlineData("subscriptions", "list", "--notify-type", "deviceAddedd")]
    [InlineData("subscriptions", "delete", "--notify-type", "deviceAddedd")]
    public async Task UnknownNotifyType_IsRefused_UnlessInsistedOn(params string[] args)
    {
        var refused = await RunAsync(args);
        var insisted = await RunAsync([.. args, "--allow-unknown-type"]);

        Assert.Equal(ExitCodes.BadArguments, refused.ExitCode);
        Assert.Contains("Unknown notify type 'deviceAddedd'", refused.Stderr, StringComparison.Ordinal);
        Assert.Contains("swUpgradeStateChangeNotify, swUpgradeResultNotify", refused.Stderr, StringComparison.Ordinal);
        Assert.Contains("--allow-unknown-type", refused.Stderr, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Ok, insisted.ExitCode);
    }

    public static TheoryData<string[]> EveryOptionWithoutItsValue()
    {
        var data = new TheoryData<string[]>();
        var context = new CliContext { Stdout = TextWriter.Null, Stderr = TextWriter.Null, Environment = new Dictionary<string, string?>() };
        Visit(CliApp.BuildRootCommand(context), [], []);
        return data;

        void Visit(Command command, string[] path, Option[] inherited)
        {
            var options = command.Options.Concat(inherited).Distinct();
            foreach (var option in options)
            {
                if (option.Arity.MaximumNumberOfValues == 0 || option.ValueType == typeof(bool) || option.Name is "--help" or "-h" or "--version")
                {
                    continue;
                }

                data.Add([.. path, option.Name]);
                if (path.Length > 0 && path[0] == "subscribe" && option.Name != "--callback-url")
                {
                    data.Add([.. path, "--callback-url", "https://x.example", option.Name]);
                }
            }

            foreach (var sub in command.Subcommands)
            {
                Visit(sub, [.. path, sub.Name], [.. inherited, .. command.Options.Where(o => o.Recursive)]);
            }
        }
    }

    [Theory]
    [MemberData(nameof(EveryOptionWithoutItsValue))]
    public async Task AnOptionWithoutItsValue_IsAUsageError_NotACrash(string[] args)
    {
        var run = await RunAsync(args);

        Assert.True(run.ExitCode == ExitCodes.BadArguments, $"exit {run.ExitCode}: {run.All}");
        Assert.Contains("swupgrade: error:", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("--help' for usage.", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.All, StringComparison.Ordinal);
        Assert.Empty(Fake.Requests);
    }

    [Fact]
    public async Task AlreadySubscribedElsewhere_NamesTheUrlThatHoldsTheTypeNow()
    {
        Fake.AddSubscription("deviceAdded", "https://myfunc.example.net:443/old");

        var run = await RunAsync("subscribe", "--callback-url", Typed, "--notify-type", "deviceAdded");

        Assert.Equal(ExitCodes.PlatformError, run.ExitCode);
        Assert.Contains("deviceAdded is already subscribed to https://myfunc.example.net:443/old", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("subscriptions delete --notify-type deviceAdded --callback-url https://myfunc.example.net:443/old", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("..", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AMistypedCommand_IsNamed()
    {
        var run = await RunAsync("subscriptons", "list");

        Assert.Equal(ExitCodes.BadArguments, run.ExitCode);
        Assert.Contains("'subscriptons'", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AValueAfterASecretOption_IsNotEchoed()
    {
        var run = await RunAsync("subscriptions", "list", "--app-secret", "two", "words");

        Assert.Equal(ExitCodes.BadArguments, run.ExitCode);
        Assert.DoesNotContain("words", run.All, StringComparison.Ordinal);
        Assert.Contains("not shown", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AShortSecret_DoesNotMangleOrdinaryWords()
    {
        var run = await RunWithAsync("SWUPGRADE_APP_SECRET", "s", "subscriptions", "list");

        Assert.Equal(ExitCodes.CredentialsRejected, run.ExitCode);
        Assert.Contains("The platform rejected the appId or secret", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("***", run.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("refused", "s", "refused")]
    [InlineData("secret is 's'.", "s", "secret is '***'.")]
    [InlineData("key=abc&x=1", "abc", "key=***&x=1")]
    [InlineData("xLongSecret-123y", "LongSecret-123", "x***y")]
    public void Redaction_MasksShortSecretsOnlyWhereTheyStandAlone(string text, string secret, string expected) =>
        Assert.Equal(expected, RedactingTextWriter.Redact(text, secret));

    [Fact]
    public async Task RootHelp_ListsEveryCommand_AndEveryExitCode()
    {
        var run = await RunAsync("--help");

        Assert.Equal(0, run.ExitCode);
        foreach (var command in new[] { "subscribe", "subscriptions", "simulate", "reconcile", "tasks" })
        {
            Assert.Contains("  " + command, run.Stdout, StringComparison.Ordinal);
        }

        foreach (var code in ExitCodeList)
        {
            Assert.Matches($@"\b{code} [A-Za-z]", run.Stdout);
        }
    }

    [Fact]
    public void DocsExitCodeTable_ListsTheSameCodes()
    {
        var doc = File.ReadAllLines(Path.Combine(TestSupport.RepositoryPaths.Root, "docs", "swupgrade.md"));
        var start = Array.FindIndex(doc, l => l.StartsWith("| exit code |", StringComparison.Ordinal));
        Assert.True(start >= 0, "docs/swupgrade.md has no table headed '| exit code |'");
        var codes = doc.Skip(start + 2).TakeWhile(l => l.StartsWith('|'))
            .Select(l => int.Parse(l.Split('|', StringSplitOptions.TrimEntries)[1], System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(ExitCodeList, codes);
    }

    private static readonly int[] ExitCodeList =
    [
        ExitCodes.Ok, ExitCodes.InternalError, ExitCodes.BadArguments, ExitCodes.CredentialsRejected, ExitCodes.TlsFailure,
        ExitCodes.PlatformError, ExitCodes.Unreachable, ExitCodes.PushesFailed, ExitCodes.VerificationFailed,
        ExitCodes.DifferencesFound, ExitCodes.StatusApiFailed, ExitCodes.Cancelled,
    ];
}
