using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using SwUpgradeFunc.Tests.TestSupport;
using SwUpgradeFunc.Upgrades;

namespace SwUpgradeFunc.Tests.Functions;

/// <summary>Every answer of the API and of the receiver tells the browser not to guess its type, as the page's files do.</summary>
public sealed class NoSniffTests : IAsyncLifetime
{
    private FunctionsTestHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = await StatusApiHost.StartAsync("sniff");
        var store = _host.Services.GetRequiredService<UpgradeStateStore>();
        await store.ApplyAsync(Envelopes.Of(Pushes.SwState("downloading", "dev-n", "op-n", "sub-n")), CancellationToken.None);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Theory]
    [InlineData("/api/upgrades", "application/json")]
    [InlineData("/api/upgrades/op-n", "application/json")]
    [InlineData("/api/devices/dev-n/upgrades", "application/json")]
    [InlineData("/api/upgrades?pageSize=0", "application/problem+json")]
    [InlineData("/api/upgrades/op-unknown", "application/problem+json")]
    [InlineData("/api/upgrades/op-n/subtasks.csv", "text/csv")]
    public async Task Get_AnswersWithNoSniff(string path, string mediaType)
    {
        using var response = await _host.Client.GetAsync(path);

        Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
    }

    [Theory]
    [InlineData("/v1.0.0/messageReceiver", "application/json", HttpStatusCode.OK)]
    [InlineData("/v1.0.0/messageReceiver", "text/plain", HttpStatusCode.UnsupportedMediaType)]
    [InlineData("/api/upgrades/op-n/reconciliations", "text/plain", HttpStatusCode.UnsupportedMediaType)]
    public async Task Post_AnswersWithNoSniff(string path, string mediaType, HttpStatusCode expected)
    {
        using var content = new StringContent(Pushes.SwState().ToJsonString(), Encoding.UTF8, mediaType);

        using var response = await _host.Client.PostAsync(path, content);

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
    }
}
