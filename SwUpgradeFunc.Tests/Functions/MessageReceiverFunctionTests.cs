using System.Text.Json;
using Microsoft.AspNetCore.Http;
using SwUpgradeFunc.Functions;
using SwUpgradeFunc.Http;
using SwUpgradeFunc.Notifications;
using SwUpgradeFunc.Receiving;

namespace SwUpgradeFunc.Tests.Functions;

public class MessageReceiverFunctionTests
{
    private static async Task<(HttpResponse Response, string Body)> Execute(ReceiveResult result)
    {
        var context = new DefaultHttpContext();
        var body = new MemoryStream();
        context.Response.Body = body;

        await MessageReceiverFunction.ToAnswer(result).WriteAsync(context.Response);

        return (context.Response, System.Text.Encoding.UTF8.GetString(body.ToArray()));
    }

    [Fact]
    public async Task Answer_Is200WithAnEmptyBody_ForAnAcceptedPush()
    {
        var (response, body) = await Execute(ReceiveResult.Accepted("id"));

        Assert.Equal(200, response.StatusCode);
        Assert.Equal("", body);
        Assert.Equal(0, response.ContentLength);
    }

    [Fact]
    public async Task Answer_Is200_ForAnIgnoredType()
    {
        var (response, _) = await Execute(ReceiveResult.Ignored());

        Assert.Equal(200, response.StatusCode);
    }

    [Fact]
    public async Task Answer_IsProblemJson_WithTheOffendingFields_ForAnInvalidPush()
    {
        var result = ReceiveResult.Rejected(ProblemType.InvalidFields, "deviceId is missing",
            [new FieldError("deviceId", "is missing")]);

        var (response, body) = await Execute(result);

        Assert.Equal(400, response.StatusCode);
        Assert.Equal("application/problem+json", response.ContentType);
        using var json = JsonDocument.Parse(body);
        var root = json.RootElement;
        Assert.Equal("urn:swupgradefunc:problem:invalid-fields", root.GetProperty("type").GetString());
        Assert.Equal("Invalid notification", root.GetProperty("title").GetString());
        Assert.Equal(400, root.GetProperty("status").GetInt32());
        Assert.Equal("deviceId is missing", root.GetProperty("detail").GetString());
        var error = Assert.Single(root.GetProperty("errors").EnumerateArray());
        Assert.Equal(("deviceId", "is missing"), (error.GetProperty("field").GetString(), error.GetProperty("problem").GetString()));
    }

    [Fact]
    public async Task Answer_Is503WithRetryAfter_WhenStorageIsUnavailable()
    {
        var (response, body) = await Execute(ReceiveResult.Unavailable(ProblemType.StorageTimeout, "later", TimeSpan.FromSeconds(10)));

        Assert.Equal(503, response.StatusCode);
        Assert.Equal("10", response.Headers.RetryAfter.ToString());
        Assert.Equal("application/problem+json", response.ContentType);
        Assert.Contains("storage-timeout", body, StringComparison.Ordinal);
    }
}
