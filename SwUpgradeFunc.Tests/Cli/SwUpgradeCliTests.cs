using System.Text.Json;
using SwUpgrade.Cli;
using SwUpgradeFunc.Platform;

namespace SwUpgradeFunc.Tests.Cli;

public sealed class SwUpgradeCliTests : CliTests
{
    private const string Callback = "https://swupgrade-func.example.net/v1.0.0/messageReceiver";
    private const string NormalizedCallback = "https://swupgrade-func.example.net:443/v1.0.0/messageReceiver";

    [Fact]
    public async Task Subscribe_RegistersTheCallback_AndExitsZero()
    {
        var run = await RunAsync("subscribe", "--callback-url", Callback);

        Assert.Equal(0, run.ExitCode);
        Assert.Contains($"Subscribed swUpgradeStateChangeNotify -> {NormalizedCallback}", run.Stdout, StringComparison.Ordinal);
        var request = Assert.Single(Fake.RequestsTo("/iodm/app/sub/v1.1.0/subscribe"));
        Assert.Equal($"{{\"notifyType\":\"swUpgradeStateChangeNotify\",\"callbackUrl\":\"{NormalizedCallback}\"}}", request.Body);
    }

    [Fact]
    public async Task Subscribe_RunTwice_SucceedsTwice()
    {
        var first = await RunAsync("subscribe", "--callback-url", Callback, "--notify-type", "swUpgradeResultNotify", "--notify-type", "deviceAdded");
        var second = await RunAsync("subscribe", "--callback-url", Callback, "--notify-type", "swUpgradeResultNotify", "--notify-type", "deviceAdded");

        Assert.Equal(0, first.ExitCode);
        Assert.Equal(0, second.ExitCode);
        Assert.Contains("Already subscribed deviceAdded", second.Stdout, StringComparison.Ordinal);
        Assert.Equal(2, Fake.Subscriptions.Count);
    }

    [Fact]
    public async Task Subscribe_AllUpgradeTypes_RegistersTheFour_AsJson()
    {
        var run = await RunAsync("subscribe", "--callback-url", Callback, "--all-upgrade-types", "--json");

        Assert.Equal(0, run.ExitCode);
        using var doc = JsonDocument.Parse(run.Stdout);
        Assert.True(doc.RootElement.GetProperty("ok").GetBoolean());
        var types = doc.RootElement.GetProperty("subscriptions").EnumerateArray().Select(e => e.GetProperty("notifyType").GetString()!).ToArray();
        Assert.Equal(NotifyTypes.UpgradeTypes, types);
        Assert.All(doc.RootElement.GetProperty("subscriptions").EnumerateArray(), e => Assert.Equal("subscribed", e.GetProperty("status").GetString()));
        Assert.Equal(4, Fake.RequestsTo("/iodm/app/sub/v1.1.0/subscribe").Count);
    }

    [Fact]
    public async Task RegisterListDelete_EndToEnd()
    {
        Assert.Equal(0, (await RunAsync("subscribe", "--callback-url", Callback, "--all-upgrade-types")).ExitCode);
        Assert.Equal(0, (await RunAsync("subscribe", "--callback-url", Callback, "--notify-type", "deviceAdded")).ExitCode);

        var table = await RunAsync("subscriptions", "list");
        Assert.Equal(0, table.ExitCode);
        var lines = table.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.StartsWith("SUBSCRIPTION ID", lines[0], StringComparison.Ordinal);
        Assert.Contains("CALLBACK URL", lines[0], StringComparison.Ordinal);
        Assert.Equal(5, lines.Count(l => l.Contains(NormalizedCallback, StringComparison.Ordinal)));
        Assert.Equal("5 subscription(s).", lines[^1]);

        var json = await RunAsync("subscriptions", "list", "--notify-type", "deviceAdded", "--json");
        using var doc = JsonDocument.Parse(json.Stdout);
        var only = Assert.Single(doc.RootElement.GetProperty("subscriptions").EnumerateArray());
        var id = only.GetProperty("subscriptionId").GetString()!;
        Assert.Equal("?appId=fake-app-id&notifyType=deviceAdded&pageNo=0&pageSize=100", Fake.RequestsTo("/iocm/app/sub/v1.2.0/subscriptions")[^1].QueryString);

        var byId = await RunAsync("subscriptions", "delete", "--id", id);
        Assert.Equal(0, byId.ExitCode);
        Assert.Contains($"Deleted subscription {id}.", byId.Stdout, StringComparison.Ordinal);

        var byType = await RunAsync("subscriptions", "delete", "--notify-type", "swUpgradeStateChangeNotify", "--callback-url", NormalizedCallback, "--json");
        Assert.Equal(0, byType.ExitCode);
        Assert.True(JsonDocument.Parse(byType.Stdout).RootElement.GetProperty("ok").GetBoolean());
        Assert.Equal(3, Fake.Subscriptions.Count);
        Assert.DoesNotContain(Fake.Subscriptions, s => s.NotifyType is "deviceAdded" or "swUpgradeStateChangeNotify");

        foreach (var type in new[] { "swUpgradeResultNotify", "fwUpgradeStateChangeNotify", "fwUpgradeResultNotify" })
        {
            Assert.Equal(0, (await RunAsync("subscriptions", "delete", "--notify-type", type)).ExitCode);
        }

        var empty = await RunAsync("subscriptions", "list");
        Assert.Equal(0, empty.ExitCode);
        Assert.Equal("No subscriptions.", empty.Stdout.Trim());
    }

    [Fact]
    public async Task Flags_TakePrecedenceOverEnvironment()
    {
        var env = Environment();
        env["SWUPGRADE_PLATFORM_URL"] = "https://127.0.0.1:1";
        env["SWUPGRADE_APP_ID"] = "someone-else";

        var run = await RunAsync(env, "subscriptions", "list", "--platform-url", Fake.BaseUrl.ToString(), "--app-id", Fake.AppId);

        Assert.Equal(0, run.ExitCode);
    }

    [Fact]
    public async Task MissingSettings_ExitWithBadArguments_AndNameTheVariables()
    {
        var run = await RunAsync(new Dictionary<string, string?>(), "subscriptions", "list");

        Assert.Equal(ExitCodes.BadArguments, run.ExitCode);
        Assert.Contains("SWUPGRADE_PLATFORM_URL", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("SWUPGRADE_APP_ID", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("SWUPGRADE_APP_SECRET", run.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("subscribe")]
    [InlineData("subscribe", "--callback-url", Callback, "--notify-type", "noSuchNotify")]
    [InlineData("subscribe", "--callback-url", "http://swupgrade-func.example.net/push")]
    [InlineData("subscribe", "--callback-url", "not a url")]
    [InlineData("subscriptions", "delete")]
    [InlineData("subscriptions", "delete", "--id", "x", "--notify-type", "deviceAdded")]
    [InlineData("subscriptions", "delete", "--id", "x", "--callback-url", Callback)]
    [InlineData("frobnicate")]
    [InlineData]
    public async Task BadArguments_ExitWithCode2_AndSendNothing(params string[] args)
    {
        var run = await RunAsync(args);

        Assert.Equal(ExitCodes.BadArguments, run.ExitCode);
        Assert.Contains("swupgrade: error:", run.Stderr, StringComparison.Ordinal);
        Assert.Empty(Fake.Requests);
    }

    [Fact]
    public async Task HttpCallback_IsAccepted_WithTheExplicitFlag()
    {
        var run = await RunAsync("subscribe", "--callback-url", "http://swupgrade-func.example.net/push", "--allow-http-callback");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("http://swupgrade-func.example.net:80/push", Fake.Subscriptions.Single().CallbackUrl, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WrongSecret_ExitsWithCredentialsRejected()
    {
        var run = await RunWithAsync("SWUPGRADE_APP_SECRET", "not-the-secret", "subscriptions", "list");

        Assert.Equal(ExitCodes.CredentialsRejected, run.ExitCode);
        Assert.Contains("100208", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("SWUPGRADE_APP_SECRET", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UntrustedServerCertificate_ExitsWithTlsFailure()
    {
        var env = Environment();
        env.Remove("SWUPGRADE_CA_FILE");

        var run = await RunAsync(env, "subscribe", "--callback-url", Callback, "--json");

        Assert.Equal(ExitCodes.TlsFailure, run.ExitCode);
        Assert.Contains("TLS", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("--ca-file", run.Stderr, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(run.Stdout);
        Assert.Equal("tls-failure", doc.RootElement.GetProperty("error").GetProperty("kind").GetString());
    }

    [Fact]
    public async Task RejectedCallbackUrl_ExitsWithPlatformError()
    {
        var run = await RunAsync("subscribe", "--callback-url", "https://rejected.example.net/push", "--json");

        Assert.Equal(ExitCodes.PlatformError, run.ExitCode);
        using var doc = JsonDocument.Parse(run.Stdout);
        var error = doc.RootElement.GetProperty("error");
        Assert.Equal(400, error.GetProperty("httpStatus").GetInt32());
        Assert.Equal("100222", error.GetProperty("platformCode").GetString());
        Assert.Contains("rejected the callback URL", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PersistentThrottling_ExitsWithPlatformError_AfterBackOff()
    {
        Fake.Throttle("/iocm/app/sub/v1.2.0/subscriptions", 10);

        var run = await RunAsync("subscriptions", "list");

        Assert.Equal(ExitCodes.PlatformError, run.ExitCode);
        Assert.Contains("1010009", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("still throttled after 5 tries", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("swupgrade: note: Listing subscriptions: the platform answered 403 (throttled); retry 1 of 4 in", run.Stderr, StringComparison.Ordinal);
        Assert.Equal(5, Fake.RequestsTo("/iocm/app/sub/v1.2.0/subscriptions").Count);
    }

    [Fact]
    public async Task UnreachablePlatform_ExitsWithUnreachable()
    {
        var port = ClosedLoopbackPort();
        var run = await RunWithAsync("SWUPGRADE_PLATFORM_URL", $"https://127.0.0.1:{port}", "subscriptions", "list");

        Assert.Equal(ExitCodes.Unreachable, run.ExitCode);
        Assert.Contains("could not be reached", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_ExitsZero_AndDocumentsTheEnvironment()
    {
        var run = await RunAsync("--help");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("SWUPGRADE_APP_SECRET", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("subscriptions", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SecretAndPassword_NeverAppearInAnyOutput()
    {
        const string secret = "Zq9-DISTINCTIVE-app-secret-77";
        const string password = "Pw4-DISTINCTIVE-p12-password-31";
        Fake.Secret = secret;
        var env = Environment();
        env["SWUPGRADE_APP_SECRET"] = secret;
        var noCa = new Dictionary<string, string?>(env);
        noCa.Remove("SWUPGRADE_CA_FILE");
        var wrongSecretFlag = new Dictionary<string, string?>(env);
        wrongSecretFlag.Remove("SWUPGRADE_APP_SECRET");
        var clientCertificate = Ctx.Ca.WritePkcs12(Ctx.Ca.IssueClientCertificate("op"), password);

        var runs = new List<CliRun>
        {
            await RunAsync(env, "subscribe", "--callback-url", Callback, "--all-upgrade-types"),
            await RunAsync(env, "subscribe", "--callback-url", Callback, "--json"),
            await RunAsync(env, "subscriptions", "list"),
            await RunAsync(env, "subscriptions", "list", "--json"),
            await RunAsync(wrongSecretFlag, "subscriptions", "list", "--app-secret", secret),
            await RunAsync(wrongSecretFlag, "subscriptions", "list", "--app-secret=" + secret, "--json"),
            await RunAsync(wrongSecretFlag, "subscriptions", "list", "--app-secret", secret + "-wrong", "--json"),
            await RunAsync(noCa, "subscriptions", "list", "--json"),
            await RunAsync(env, "subscribe", "--callback-url", "https://rejected.example.net/x", "--json"),
            await RunAsync(env, "subscriptions", "list", "--client-cert", clientCertificate, "--client-cert-password", password),
            await RunAsync(env, "subscriptions", "list", "--client-cert", clientCertificate, "--client-cert-password", password + "x", "--json"),
            await RunAsync(env, "subscriptions", "list", "--app-secret", secret, secret, password),
            await RunAsync(env, "[diagram]", "subscriptions", "list", "--app-secret", secret),
            await RunAsync(env, "--help"),
            await RunAsync(new Dictionary<string, string?> { ["SWUPGRADE_APP_SECRET"] = secret }, "subscriptions", "list"),
        };

        Assert.Equal(0, runs[0].ExitCode);
        Assert.Equal(0, runs[4].ExitCode);
        Assert.Equal(ExitCodes.CredentialsRejected, runs[6].ExitCode);
        Assert.Equal(ExitCodes.BadArguments, runs[10].ExitCode);
        Assert.All(runs, r =>
        {
            Assert.DoesNotContain(secret, r.All, StringComparison.Ordinal);
            Assert.DoesNotContain(password, r.All, StringComparison.Ordinal);
        });
    }

    private static int ClosedLoopbackPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
