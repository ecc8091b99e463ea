using System.Net;
using System.Text;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using SwUpgradeFunc.Platform;
using SwUpgradeFunc.Tests.TestSupport;
using SwUpgradeFunc.Upgrades;

namespace SwUpgradeFunc.Tests.Upgrades;

/// <summary>
/// What the store sends to the table and what it makes of the table's errors, seen through a transport that records
/// every request to Azurite and answers the ones a test picks with a scripted error.
/// </summary>
public sealed class UpgradeStateStoreRequestTests
{
    private readonly string _table = AzuriteServer.NewName("req");

    private (UpgradeStateStore Store, ScriptedTableTransport Transport) Store()
    {
        var (service, transport) = ScriptedTableTransport.Create(AzuriteServer.ConnectionString);
        return (new UpgradeStateStore(service, Options.Create(new UpgradesOptions { TableName = _table, HistoryLimit = 100 })), transport);
    }

    private static int DeviceIndexWrites(ScriptedTableTransport transport, string deviceId) =>
        transport.Requests.Count(r => r.Method != "GET" &&
                                      r.Path.Contains($"PartitionKey='{StorageKeys.DevicePartition(deviceId)}'", StringComparison.Ordinal));

    [Fact]
    public async Task Apply_WritesTheDeviceIndexOnlyForANewSubTask_AndThenSendsOneRequestPerPush()
    {
        var (store, transport) = Store();
        var lifecycle = Envelopes.Lifecycle(firmware: false, "SUCCESS", deviceId: "dev-idx", operationId: "op-idx");
        await store.ApplyAsync(lifecycle[0], CancellationToken.None);
        Assert.Equal(1, DeviceIndexWrites(transport, "dev-idx"));
        transport.ClearRequests();

        foreach (var envelope in lifecycle.Skip(1))
        {
            await store.ApplyAsync(envelope, CancellationToken.None);
        }

        Assert.Equal(0, DeviceIndexWrites(transport, "dev-idx"));
        // Each later push of a sub-task this instance wrote is one entity-group transaction, and nothing else.
        Assert.Equal(Enumerable.Repeat(("POST", "$batch"), lifecycle.Count - 1),
            transport.Requests.Select(r => (r.Method, r.Path[(r.Path.LastIndexOf('/') + 1)..])));

        await store.ApplyAsync(Envelopes.Of(Pushes.FwState("1", "dev-idx", "op-idx-2", "sub-other")), CancellationToken.None);
        Assert.Equal(1, DeviceIndexWrites(transport, "dev-idx"));
    }

    [Fact]
    public async Task Apply_WritesTheDeviceIndexOnce_WhenANewSubTasksFirstWriteConflicts()
    {
        var (store, transport) = Store();
        await store.ApplyAsync(Envelopes.Of(Pushes.SwState("downloading", "dev-n0", "op-n", "sub-n0")), CancellationToken.None);
        transport.FailTransactionsContaining(StorageKeys.SubTaskRow("sub-n1"), HttpStatusCode.Conflict, "EntityAlreadyExists", times: 2);

        await store.ApplyAsync(Envelopes.Of(Pushes.SwState("downloading", "dev-n1", "op-n", "sub-n1")), CancellationToken.None);

        Assert.Equal((2, 1), (transport.FailedWrites, DeviceIndexWrites(transport, "dev-n1")));
        Assert.Equal("downloading", Assert.Single((await store.GetDeviceAsync("dev-n1", CancellationToken.None))!.SubTasks).Phase);
    }

    [Theory]
    [InlineData(HttpStatusCode.PreconditionFailed, "UpdateConditionNotSatisfied")]
    [InlineData(HttpStatusCode.Conflict, "EntityAlreadyExists")]
    public async Task Apply_RecomputesAndRetriesInProcess_WhenAnotherWriterGotThere(HttpStatusCode status, string errorCode)
    {
        var (store, transport) = Store();
        await store.ApplyAsync(Envelopes.Of(Pushes.SwState("downloading", "dev-c", "op-c", "sub-c")), CancellationToken.None);
        transport.FailWrites(status, errorCode, times: 2);

        var transition = await store.ApplyAsync(Envelopes.Of(Pushes.SwState("downloaded", "dev-c", "op-c", "sub-c")), CancellationToken.None);

        Assert.Equal(2, transport.FailedWrites);
        Assert.Equal((Verdicts.Advanced, UpgradePhase.Downloaded), (transition.Verdict, transition.To));
        var device = await store.GetDeviceAsync("dev-c", CancellationToken.None);
        Assert.Equal("downloaded", Assert.Single(device!.SubTasks).Phase);
    }

    [Fact]
    public async Task Apply_GivesUp_AfterMaxAttemptsConflicts_AndLeavesTheRetryToTheQueue()
    {
        var (store, transport) = Store();
        await store.ApplyAsync(Envelopes.Of(Pushes.SwState("downloading", "dev-g", "op-g", "sub-g")), CancellationToken.None);
        transport.FailWrites(HttpStatusCode.PreconditionFailed, "UpdateConditionNotSatisfied");

        var e = await Assert.ThrowsAnyAsync<RequestFailedException>(() =>
            store.ApplyAsync(Envelopes.Of(Pushes.SwState("downloaded", "dev-g", "op-g", "sub-g")), CancellationToken.None));

        Assert.Equal((412, UpgradeStateStore.MaxAttempts), (e.Status, transport.FailedWrites));
    }

    /// <summary>Anything but a conflict goes back to the caller at once: the queue's redelivery is the retry, not 50 loops here.</summary>
    [Theory]
    [InlineData(HttpStatusCode.ServiceUnavailable, "ServerBusy")]
    [InlineData(HttpStatusCode.InternalServerError, "InternalError")]
    [InlineData(HttpStatusCode.Forbidden, "AuthorizationPermissionMismatch")]
    [InlineData(HttpStatusCode.RequestEntityTooLarge, "RequestBodyTooLarge")]
    public async Task Apply_DoesNotRetryInProcess_AnErrorOtherThanAConflict(HttpStatusCode status, string errorCode)
    {
        var (store, transport) = Store();
        await store.ApplyAsync(Envelopes.Of(Pushes.SwState("downloading", "dev-e", "op-e", "sub-e")), CancellationToken.None);
        transport.FailWrites(status, errorCode);

        var e = await Assert.ThrowsAnyAsync<RequestFailedException>(() =>
            store.ApplyAsync(Envelopes.Of(Pushes.SwState("updating", "dev-e", "op-e", "sub-e")), CancellationToken.None));

        Assert.Equal((int)status, e.Status);
        Assert.Equal(1, transport.FailedWrites);
    }

    [Fact]
    public async Task Apply_GoesOn_WhenTheIdentityMayNotCreateTheTable()
    {
        await new TableServiceClient(AzuriteServer.ConnectionString).CreateTableIfNotExistsAsync(_table);
        var (store, transport) = Store();
        transport.FailTableCreation(HttpStatusCode.Forbidden, "AuthorizationPermissionMismatch");

        var transition = await store.ApplyAsync(Envelopes.Of(Pushes.SwState("downloading", "dev-r", "op-r", "sub-r")), CancellationToken.None);

        Assert.Equal(1, transport.FailedWrites);
        Assert.Equal(UpgradePhase.Downloading, transition.To);
    }

    [Fact]
    public async Task Apply_Fails_WhenCreatingTheTableFailsOtherwise()
    {
        var (store, transport) = Store();
        transport.FailTableCreation(HttpStatusCode.InternalServerError, "InternalError");

        var e = await Assert.ThrowsAnyAsync<RequestFailedException>(() =>
            store.ApplyAsync(Envelopes.Of(Pushes.SwState("downloading", "dev-r", "op-r", "sub-r")), CancellationToken.None));

        Assert.Equal(500, e.Status);
    }

    [Fact]
    public async Task Apply_SetsTheTableUpAgain_AfterAStorageBlipAtFirstUse()
    {
        var (store, transport) = Store();
        transport.FailTableCreation(HttpStatusCode.ServiceUnavailable, "ServerBusy");
        await Assert.ThrowsAnyAsync<RequestFailedException>(() =>
            store.ApplyAsync(Envelopes.Of(Pushes.SwState("downloading", "dev-b", "op-b", "sub-b")), CancellationToken.None));

        transport.Heal();
        var transition = await store.ApplyAsync(Envelopes.Of(Pushes.SwState("downloading", "dev-b", "op-b", "sub-b")), CancellationToken.None);

        Assert.Equal(UpgradePhase.Downloading, transition.To);
        Assert.Equal(1, transport.FailedWrites);
    }

    [Fact]
    public async Task Reads_SetTheTableUpAgain_AfterAStorageBlipAtFirstUse()
    {
        var (store, transport) = Store();
        transport.FailTableCreation(HttpStatusCode.ServiceUnavailable, "ServerBusy");
        await Assert.ThrowsAnyAsync<RequestFailedException>(() => store.GetDeviceAsync("dev-nobody", CancellationToken.None));

        transport.Heal();

        Assert.Null(await store.GetDeviceAsync("dev-nobody", CancellationToken.None));
        Assert.Empty((await store.ListTasksAsync(10, null, store.DefaultStalledAfter, CancellationToken.None)).Tasks);
    }

    [Fact]
    public async Task GetDevice_ListsItsSubTasks_OldestFirst_ThenByOperationId()
    {
        var (store, _) = Store();
        var t0 = new DateTimeOffset(2026, 11, 26, 9, 0, 0, TimeSpan.Zero);
        await store.ApplyAsync(Envelopes.Of(Pushes.SwState("downloading", "dev-o", "op-late", "s-1"), t0.AddHours(1)), CancellationToken.None);
        await store.ApplyAsync(Envelopes.Of(Pushes.SwState("downloading", "dev-o", "op-z-early", "s-2"), t0), CancellationToken.None);
        await store.ApplyAsync(Envelopes.Of(Pushes.SwState("downloading", "dev-o", "op-a-early", "s-3"), t0), CancellationToken.None);
        await store.ApplyAsync(Envelopes.Of(Pushes.SwState("downloading", "dev-o", "op-middle", "s-4"), t0.AddMinutes(5)), CancellationToken.None);

        var device = await store.GetDeviceAsync("dev-o", CancellationToken.None);

        Assert.Equal(["op-a-early", "op-z-early", "op-middle", "op-late"], device!.SubTasks.Select(s => s.OperationId));
    }

    /// <summary>
    /// A table token the table answers 400 is the caller's bad token; any other error on the same query is the table's. The
    /// task list is the route whose token carries the table's own token (the sub-task lists carry a row key).
    /// </summary>
    [Theory]
    [InlineData(HttpStatusCode.BadRequest, "InvalidInput")]
    [InlineData(HttpStatusCode.ServiceUnavailable, "ServerBusy")]
    public async Task ListTasks_RefusesAsAnInvalidToken_OnlyATableTokenTheTableRejects(HttpStatusCode status, string errorCode)
    {
        var (store, transport) = Store();
        for (var i = 0; i < 3; i++)
        {
            await store.ApplyAsync(Envelopes.Of(Pushes.SwState("downloading", $"dev-t{i}", $"op-tt{i}", $"sub-t{i}")), CancellationToken.None);
        }

        var first = await store.ListTasksAsync(1, null, TimeSpan.FromHours(1), CancellationToken.None);
        var parts = Decode(first.ContinuationToken!);
        parts[3] = "1!8!c3VidGFzaw-- 1!8!cm93LWtleQ--";
        transport.FailContinuedQueries(status, errorCode);

        var e = await Record.ExceptionAsync(() => store.ListTasksAsync(1, Encode(parts), TimeSpan.FromHours(1), CancellationToken.None));

        if (status == HttpStatusCode.BadRequest)
        {
            Assert.Equal("The continuation token is not valid.", Assert.IsType<InvalidContinuationTokenException>(e).Message);
        }
        else
        {
            Assert.Equal((int)status, Assert.IsType<RequestFailedException>(e).Status);
        }

        Assert.Equal(1, transport.FailedWrites);
    }

    internal static string[] Decode(string token)
    {
        var base64 = token.Replace('-', '+').Replace('_', '/');
        base64 = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
        return Encoding.UTF8.GetString(Convert.FromBase64String(base64)).Split('\n');
    }

    internal static string Encode(IEnumerable<string> parts) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(string.Join('\n', parts))).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
