using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using SwUpgradeFunc.Platform;
using SwUpgradeFunc.Tests.TestSupport;
using SwUpgradeFunc.Upgrades;

namespace SwUpgradeFunc.Tests.Upgrades;

/// <summary>
/// Failure reasons and source versions against Azurite: they equal a recount of the task's sub-tasks; the reasons read
/// the failed index rows only (one query per bucket), the versions the counter rows only.
/// </summary>
public sealed class SettledBreakdownsTests
{
    private const string Op = "op-insight";
    private readonly string _table = AzuriteServer.NewName("insight");

    /// <summary>
    /// 3,200 sub-tasks: every 100th fails (1 %), with four error codes of unequal frequency (one group without a code) and
    /// mixed descriptions; 60 of each 100 succeed, spread over 13 source versions (the failed over 5, one of them none); the rest are still upgrading.
    /// </summary>
    private static List<SubTaskState> States()
    {
        var states = new List<SubTaskState>();
        for (var i = 0; i < 3200; i++)
        {
            var k = i / 100;
            states.Add((i % 100) switch
            {
                0 => k switch
                {
                    < 16 => SeededTask.State(Op, i, UpgradePhase.Failed, "E100", k % 4 == 0 ? "checksum mismatch (retry)" : "checksum mismatch",
                        $"1.{k % 3}.0"),
                    < 26 => SeededTask.State(Op, i, UpgradePhase.Failed, "E200", "battery low", $"1.{k % 3}.0"),
                    < 31 => SeededTask.State(Op, i, UpgradePhase.Failed, "E300", k % 2 == 0 ? "no space" : "disk full", "0.9.0"),
                    _ => SeededTask.State(Op, i, UpgradePhase.Failed),
                },
                <= 60 => SeededTask.State(Op, i, UpgradePhase.Succeeded, sourceVersion: $"v{i % 13}"),
                _ => SeededTask.State(Op, i, i % 2 == 0 ? UpgradePhase.Downloading : UpgradePhase.Updating),
            });
        }

        return states;
    }

    private async Task<(UpgradeStateStore Store, ScriptedTableTransport Transport, List<SubTaskState> States)> SeededAsync()
    {
        var states = States();
        await SeededTask.WriteAsync(new TableClient(AzuriteServer.ConnectionString, _table), Op, states);
        var (service, transport) = ScriptedTableTransport.Create(AzuriteServer.ConnectionString);
        return (new UpgradeStateStore(service, Options.Create(new UpgradesOptions { TableName = _table })), transport, states);
    }

    private static int Queries(ScriptedTableTransport transport) =>
        transport.Requests.Count(r => r.Method == "GET" && r.Path.EndsWith("()", StringComparison.Ordinal));

    [Fact]
    public async Task FailureReasons_EqualARecountOfTheFailedSubTasks_MostFrequentFirst()
    {
        var (store, _, states) = await SeededAsync();

        var answer = (await store.GetFailureReasonsAsync(Op, CancellationToken.None))!;

        var failed = states.Where(s => s.Phase == UpgradePhase.Failed).ToList();
        var expected = failed.GroupBy(s => s.ErrorCode)
            .Select(g => (Code: g.Key, Count: g.Count(),
                Desc: g.Where(s => s.ResultDesc is not null).GroupBy(s => s.ResultDesc).OrderByDescending(d => d.Count())
                    .ThenBy(d => d.Key, StringComparer.Ordinal).Select(d => d.Key).FirstOrDefault(),
                Samples: g.Select(s => s.DeviceId).Order(StringComparer.Ordinal).Take(5).ToList()))
            .OrderByDescending(g => g.Count).ThenBy(g => g.Code ?? "", StringComparer.Ordinal)
            .ToList();
        Assert.Equal(32, answer.Failed);
        Assert.Equal(expected.Select(e => (e.Code, e.Count)), answer.Reasons.Select(r => (r.ErrorCode, r.Count)));
        Assert.Equal(["E100", "E200", "E300", null], answer.Reasons.Select(r => r.ErrorCode));
        Assert.Equal(expected.Select(e => e.Desc), answer.Reasons.Select(r => r.ResultDesc));
        Assert.Equal("checksum mismatch", answer.Reasons[0].ResultDesc);
        Assert.Equal(expected.Select(e => Math.Round((double)e.Count / 32, 4)), answer.Reasons.Select(r => r.Share));
        Assert.Equal(expected.Select(e => e.Samples), answer.Reasons.Select(r => r.SampleDeviceIds.ToList()));
        Assert.Null(answer.Other);
    }

    /// <summary>1 % failed of 3,200, every bucket keeping its failed list: point reads of the lists and counter rows, no query.</summary>
    [Fact]
    public async Task FailureReasons_ReadTheBucketsFailedLists_WithoutAQuery()
    {
        var (store, transport, _) = await SeededAsync();
        await store.GetFailureReasonsAsync(Op, CancellationToken.None);
        transport.ClearRequests();

        var answer = (await store.GetFailureReasonsAsync(Op, CancellationToken.None))!;

        Assert.Equal(32, answer.Failed);
        Assert.Equal(0, Queries(transport));
        Assert.Equal(2 + (StorageKeys.Buckets * (StorageKeys.CounterShards + 1)), transport.Requests.Count(r => r.Method == "GET"));
    }

    /// <summary>1 % failed of 3,200 in a task whose buckets keep no failed list (an earlier writer's): one query per bucket, only the 32 failed rows come back.</summary>
    [Fact]
    public async Task FailureReasons_ReadOnlyTheFailedIndexRows_OneQueryPerBucket_WhenNoListIsKept()
    {
        var (store, transport, _) = await SeededAsync();
        var listed = (await store.GetFailureReasonsAsync(Op, CancellationToken.None))!;
        var table = new TableClient(AzuriteServer.ConnectionString, _table);
        for (var bucket = 0; bucket < StorageKeys.Buckets; bucket++)
        {
            var row = (await table.GetEntityAsync<TableEntity>(StorageKeys.TaskPartition(Op, bucket), StorageKeys.CounterRow(0))).Value;
            row.Remove("KeepsFailedList");
            await table.UpdateEntityAsync(row, row.ETag, TableUpdateMode.Replace);
        }

        transport.ClearRequests();
        var before = transport.RowsQueried;

        var answer = (await store.GetFailureReasonsAsync(Op, CancellationToken.None))!;

        Assert.Equal(StorageKeys.Buckets, Queries(transport));
        Assert.Equal(32, transport.RowsQueried - before);
        Assert.Equal(listed.Reasons.Select(r => (r.ErrorCode, r.Count, r.ResultDesc, r.Share, string.Join(",", r.SampleDeviceIds))),
            answer.Reasons.Select(r => (r.ErrorCode, r.Count, r.ResultDesc, r.Share, string.Join(",", r.SampleDeviceIds))));
    }

    [Fact]
    public async Task SourceVersions_EqualARecountOfTheSettledSubTasks_TopTenAndTheRestSummed()
    {
        var (store, transport, states) = await SeededAsync();

        var answer = (await store.GetSourceVersionsAsync(Op, CancellationToken.None))!;

        var expected = states.Where(s => s.Phase is UpgradePhase.Succeeded or UpgradePhase.Failed)
            .GroupBy(s => s.SourceVersion)
            .Select(g => (Version: g.Key, Succeeded: g.Count(s => s.Phase == UpgradePhase.Succeeded), Failed: g.Count(s => s.Phase == UpgradePhase.Failed)))
            .OrderByDescending(g => g.Succeeded + g.Failed).ThenBy(g => g.Version ?? "", StringComparer.Ordinal)
            .ToList();
        Assert.Equal(18, expected.Count);
        Assert.Equal(32 + 1920, answer.Settled);
        Assert.Equal(expected.Take(10).Select(e => (e.Version, e.Succeeded, e.Failed, Math.Round((double)e.Failed / (e.Succeeded + e.Failed), 4))),
            answer.Versions.Select(v => (v.SourceVersion, v.Succeeded, v.Failed, v.FailureRate)));
        var rest = expected.Skip(10).ToList();
        Assert.Equal(new OtherVersions(8, rest.Sum(e => e.Succeeded), rest.Sum(e => e.Failed),
            Math.Round((double)rest.Sum(e => e.Failed) / rest.Sum(e => e.Succeeded + e.Failed), 4)), answer.Other);
        Assert.Equal(0, answer.Uncounted);
        // Summed from the counter rows: no query, no index row read.
        Assert.Equal(0, Queries(transport));
        Assert.Equal(0, transport.RowsQueried);
    }

    [Fact]
    public async Task Breakdowns_OfAnUnknownTask_AreNull()
    {
        var (store, _, _) = await SeededAsync();

        Assert.Null(await store.GetFailureReasonsAsync("op-nobody", CancellationToken.None));
        Assert.Null(await store.GetSourceVersionsAsync("op-nobody", CancellationToken.None));
    }
}
