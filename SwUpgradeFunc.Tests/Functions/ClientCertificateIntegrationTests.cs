using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Azure.Storage.Queues;
using SwUpgradeFunc.Receiving;
using SwUpgradeFunc.Tests.TestSupport;

namespace SwUpgradeFunc.Tests.Functions;

/// <summary>The callback over real HTTP with the client certificate check required, writing to a real Azurite queue.</summary>
public sealed class ClientCertificateIntegrationTests : IAsyncLifetime, IDisposable
{
    private readonly string _queueName = AzuriteServer.NewName("cert-");
    private readonly PushCertificates _certificates = new(DateTimeOffset.UtcNow);
    private FunctionsTestHost _host = null!;
    private QueueClient _rawQueue = null!;

    public async Task InitializeAsync()
    {
        var connection = AzuriteServer.ConnectionString;
        var settings = MessageReceiverIntegrationTests.Settings(connection, _queueName);
        settings["Receiver:ClientCertificate:Mode"] = "required";
        settings["Receiver:ClientCertificate:CaCertificates"] = _certificates.CaPem;
        settings["Receiver:ClientCertificate:ExpectedSubject"] = PushCertificates.PlatformName;
        _host = await FunctionsTestHost.StartAsync(settings);
        _rawQueue = new QueueClient(connection, _queueName);
        await _rawQueue.CreateIfNotExistsAsync();
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    public void Dispose() => _certificates.Dispose();

    private async Task<HttpResponseMessage> Push(string? certificateHeader)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1.0.0/messageReceiver")
        {
            Content = new StringContent(Pushes.SwState().ToJsonString(), Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
        };
        if (certificateHeader is not null)
        {
            request.Headers.TryAddWithoutValidation(ClientCertificateCheck.HeaderName, certificateHeader);
        }

        // The callback is anonymous: no function key, as the platform sends none.
        return await _host.CreateClientWithoutKey().SendAsync(request);
    }

    public static TheoryData<string, string> Refused => new()
    {
        { "none", "client-certificate-missing" },
        { "malformed", "client-certificate-malformed" },
        { "expired", "client-certificate-expired" },
        { "not-yet-valid", "client-certificate-not-yet-valid" },
        { "other-ca", "client-certificate-untrusted" },
        { "other-name", "client-certificate-subject-mismatch" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task Post_Returns403ProblemJson_WithTheReasonsType_AndStoresNothing(string which, string code)
    {
        var header = which switch
        {
            "none" => null,
            "malformed" => "%%%",
            "expired" => PushCertificates.Header(_certificates.Expired),
            "not-yet-valid" => PushCertificates.Header(_certificates.NotYetValid),
            "other-ca" => PushCertificates.Header(_certificates.FromOtherCa),
            _ => PushCertificates.Header(_certificates.OtherName),
        };

        var response = await Push(header);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("urn:swupgradefunc:problem:" + code, problem.RootElement.GetProperty("type").GetString());
        Assert.Equal(403, problem.RootElement.GetProperty("status").GetInt32());
        Assert.Empty((await _rawQueue.PeekMessagesAsync(32)).Value);
    }

    [Fact]
    public async Task Post_StoresThePush_WhenThePlatformsCertificateIsPresented()
    {
        var response = await Push(PushCertificates.Header(_certificates.Valid));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single((await _rawQueue.PeekMessagesAsync(32)).Value);
    }

    [Fact]
    public async Task StatusApi_KeepsItsFunctionKey_AndAsksForNoCertificate()
    {
        var withoutKey = await _host.CreateClientWithoutKey().GetAsync("/api/upgrades/op-unknown");
        var withKey = await _host.Client.GetAsync("/api/upgrades/op-unknown");

        Assert.Equal(HttpStatusCode.Unauthorized, withoutKey.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, withKey.StatusCode);
    }
}
