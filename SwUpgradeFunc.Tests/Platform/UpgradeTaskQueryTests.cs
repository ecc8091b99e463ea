using System.Globalization;
using Microsoft.Extensions.Time.Testing;
using SwUpgradeFunc.Platform;
using SwUpgradeFunc.Tests.Platform.Fake;

namespace SwUpgradeFunc.Tests.Platform;

public sealed class UpgradeTaskQueryTests : PlatformTests
{
    private const string SubOperationsPath = "/iodm/northbound/v1.5.0/operations/op-q/subOperations";

    private void AddTask(int subTasks, Func<int, string>? status = null)
    {
        Fake.AddUpgradeTask("op-q", "firmware_upgrade");
        for (var i = 0; i < subTasks; i++)
        {
            Fake.SetSubOperation("op-q", $"sub-{i:D4}", $"dev-{i:D4}", status?.Invoke(i) ?? "success",
                new DateTimeOffset(2026, 11, 26, 10, 0, i % 60, TimeSpan.Zero));
        }
    }

    private static async Task<List<SubOperation>> All(HuaweiIotPlatformClient client, string? status = null)
    {
        var all = new List<SubOperation>();
        await foreach (var sub in client.ListAllSubOperationsAsync("op-q", status))
        {
            all.Add(sub);
        }

        return all;
    }

    [Fact]
    public async Task ListAllSubOperations_PagesByHundred_ToTheEnd_WithTheAppKeyAndToken()
    {
        AddTask(250);
        using var client = Ctx.Client();

        var all = await All(client);

        Assert.Equal(250, all.Select(s => s.SubOperationId).Distinct().Count());
        var pages = Fake.RequestsTo(SubOperationsPath);
        Assert.Equal(["?pageNo=0&pageSize=100", "?pageNo=1&pageSize=100", "?pageNo=2&pageSize=100"], pages.Select(r => r.QueryString));
        Assert.All(pages, r => Assert.Equal(FakeHuaweiPlatform.DefaultAppId, r.Header("app_key")));
        Assert.Equal("20261126T100009Z", all.Single(s => s.SubOperationId == "sub-0009").StopTime);
        Assert.Equal(new DateTimeOffset(2026, 11, 26, 10, 0, 9, TimeSpan.Zero), PlatformTime.Parse(all.Single(s => s.SubOperationId == "sub-0009").StopTime));
    }

    [Fact]
    public async Task ListAllSubOperations_StopsAfterAnExactlyFullLastPage()
    {
        AddTask(200);
        using var client = Ctx.Client();

        var all = await All(client);

        Assert.Equal(200, all.Count);
        Assert.Equal(2, Fake.RequestsTo(SubOperationsPath).Count);
    }

    [Fact]
    public async Task ListAllSubOperations_PassesTheStatusFilter()
    {
        AddTask(30, i => i % 3 == 0 ? "fail" : "processing");
        using var client = Ctx.Client();

        var failed = await All(client, SubOperationStatuses.Fail);

        Assert.Equal(10, failed.Count);
        Assert.All(failed, s => Assert.Equal("fail", s.Status));
        Assert.Contains("subOperationStatus=fail", Assert.Single(Fake.RequestsTo(SubOperationsPath)).QueryString, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ListAllSubOperations_SurvivesThrottlingAndARevokedToken_InTheMiddleOfPaging()
    {
        AddTask(450);
        Fake.AfterSubOperationsPage = served =>
        {
            if (served == 1)
            {
                Fake.InvalidateTokens(); // another login elsewhere: the next page is refused with 1010005
            }
            else if (served == 3)
            {
                Fake.Throttle("subOperations", 2);
            }
        };
        var notes = new List<string>();
        using var client = Ctx.Client(o => o.Diagnostics = notes.Add);

        var all = await All(client);

        Assert.Equal(450, all.Select(s => s.SubOperationId).Distinct().Count());
        Assert.Equal(2, Fake.LoginCount);
        Assert.Contains(notes, n => n.Contains("refused the access token", StringComparison.Ordinal));
        Assert.Equal(2, notes.Count(n => n.Contains("throttled", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task ListAllSubOperations_RenewsAnExpiringToken_BetweenPages()
    {
        AddTask(300);
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-26T10:00:00Z", CultureInfo.InvariantCulture));
        Fake.AfterSubOperationsPage = _ => time.Advance(TimeSpan.FromMinutes(56)); // past expiresIn 3600 s minus the 5-minute margin
        using var client = Ctx.Client(time: time);

        var all = await All(client);

        Assert.Equal(300, all.Count);
        Assert.Equal(1, Fake.LoginCount);
        Assert.Equal(2, Fake.RefreshCount);
    }

    [Fact]
    public async Task GetOperation_ReadsTheTask_AndItsKind()
    {
        AddTask(3, i => i == 0 ? "fail" : "success");
        using var client = Ctx.Client();

        var task = await client.GetOperationAsync("op-q");

        Assert.Equal("op-q", task.OperationId);
        Assert.Equal("firmware", task.Kind);
        Assert.Equal((3, 2, 1), (task.Counts!.Total, task.Counts.Success, task.Counts.Fail));
    }

    [Fact]
    public async Task UnknownTask_IsNamedInTheError()
    {
        using var client = Ctx.Client();

        var error = await Assert.ThrowsAsync<UpgradeTaskNotFoundException>(() => All(client));

        Assert.Equal("123009", error.ErrorCode);
        Assert.Equal(404, error.HttpStatus);
        Assert.Contains("no upgrade task 'op-q'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetOperation_OfAnUnknownTask_IsNotFound_NamingIt()
    {
        using var client = Ctx.Client();

        var error = await Assert.ThrowsAsync<UpgradeTaskNotFoundException>(() => client.GetOperationAsync("op-none"));

        Assert.Equal((404, "123009"), (error.HttpStatus, error.ErrorCode));
        Assert.StartsWith("Reading upgrade task op-none failed: the platform has no upgrade task 'op-none'.", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData("100418", false)] // a wrong path, not a missing task
    public async Task A404_IsAnUnknownTask_WithTheTasksCodeOrWithoutACode(string? code, bool unknownTask)
    {
        using var client = Ctx.Client();
        Fake.EnqueueFailure("GET /iodm/northbound/v1.5.0/operations/op-9", 404, code);

        var e = await Assert.ThrowsAnyAsync<PlatformApiException>(() => client.GetOperationAsync("op-9"));

        Assert.Equal((404, unknownTask), (e.HttpStatus, e is UpgradeTaskNotFoundException));
    }

    [Fact]
    public async Task APageOutOfRange_IsSaidInPlainWords()
    {
        AddTask(3);
        Fake.EnqueueFailure("/subOperations", 400, "123029", "pageNo out of range");
        using var client = Ctx.Client();

        var e = await Assert.ThrowsAsync<PlatformApiException>(() => client.ListSubOperationsAsync("op-q", null, 0, 100));

        Assert.Equal("Listing the sub-tasks of upgrade task op-q (page 0) failed: the platform refused the page number or size (error 123029).", e.Message);
    }

    [Theory]
    [InlineData("20151212T121212Z", "2015-12-12T12:12:12+00:00")]
    [InlineData("2015-12-12T12:12:12Z", null)]
    [InlineData("", null)]
    public void PlatformTime_ReadsOnlyThePlatformsFormat(string text, string? expected)
    {
        Assert.Equal(expected is null ? null : DateTimeOffset.Parse(expected, CultureInfo.InvariantCulture), PlatformTime.Parse(text));
    }
}
