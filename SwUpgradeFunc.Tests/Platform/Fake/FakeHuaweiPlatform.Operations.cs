using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace SwUpgradeFunc.Tests.Platform.Fake;

/// <summary>A sub-task as the fake keeps it.</summary>
public sealed record FakeSubOperation(string SubOperationId, string DeviceId, string Status, DateTimeOffset? StopTime);

/// <summary>The upgrade task queries: the task, and its sub-tasks paged and filtered as the platform documents.</summary>
public sealed partial class FakeHuaweiPlatform
{
    private const string OperationsPrefix = "/iodm/northbound/v1.5.0/operations/";

    private readonly Dictionary<string, (string OperateType, List<FakeSubOperation> SubOperations)> _tasks = new(StringComparer.Ordinal);
    private int _subOperationPagesServed;

    /// <summary>Called after each page of sub-tasks was answered, with the number of pages answered so far.</summary>
    public Action<int>? AfterSubOperationsPage { get; set; }

    public int SubOperationPagesServed => Volatile.Read(ref _subOperationPagesServed);

    /// <summary>Creates (or empties) an upgrade task.</summary>
    public void AddUpgradeTask(string operationId, string operateType = "software_upgrade")
    {
        lock (_gate)
        {
            _tasks[operationId] = (operateType, []);
        }
    }

    /// <summary>Adds a sub-task to a task, or changes its status.</summary>
    public void SetSubOperation(string operationId, string subOperationId, string deviceId, string status, DateTimeOffset? stopTime = null)
    {
        lock (_gate)
        {
            var list = _tasks[operationId].SubOperations;
            var at = list.FindIndex(s => s.SubOperationId == subOperationId);
            var entry = new FakeSubOperation(subOperationId, deviceId, status, stopTime);
            if (at >= 0)
            {
                list[at] = entry;
            }
            else
            {
                list.Add(entry);
            }
        }
    }

    private async Task OperationsAsync(HttpContext context, string rest)
    {
        var parts = rest.Split('/');
        var operationId = Uri.UnescapeDataString(parts[0]);
        (string OperateType, List<FakeSubOperation> SubOperations) task;
        bool known;
        lock (_gate)
        {
            known = _tasks.TryGetValue(operationId, out task);
            task = known ? (task.OperateType, [.. task.SubOperations]) : task;
        }

        if (!known || parts.Length > 2 || (parts.Length == 2 && parts[1] != "subOperations"))
        {
            await ErrorAsync(context, 404, "123009", "The requested task does not exist.");
            return;
        }

        if (parts.Length == 1)
        {
            await JsonAsync(context, 200, new JsonObject
            {
                ["operationId"] = operationId,
                ["operateType"] = task.OperateType,
                ["status"] = task.SubOperations.All(s => s.Status is "success" or "fail" or "stop") ? "success" : "processing",
                ["createTime"] = "20261126T080000Z",
                ["staResult"] = new JsonObject
                {
                    ["total"] = task.SubOperations.Count,
                    ["success"] = task.SubOperations.Count(s => s.Status == "success"),
                    ["fail"] = task.SubOperations.Count(s => s.Status == "fail"),
                },
            });
            return;
        }

        var q = context.Request.Query;
        var status = q["subOperationStatus"].ToString();
        var pageNo = q["pageNo"].Count == 0 ? 0 : int.TryParse(q["pageNo"], CultureInfo.InvariantCulture, out var p) ? p : -1;
        var pageSize = q["pageSize"].Count == 0 ? 10 : int.TryParse(q["pageSize"], CultureInfo.InvariantCulture, out var z) ? z : -1;
        if (pageNo < 0 || pageSize is < 1 or > 100)
        {
            await ErrorAsync(context, 400, "123029", "pageNo or pageSize beyond the limit.");
            return;
        }

        var matching = task.SubOperations.Where(s => status.Length == 0 || s.Status == status).ToList();
        await JsonAsync(context, 200, new JsonObject
        {
            ["totalCount"] = matching.Count,
            ["pageNo"] = pageNo,
            ["pageSize"] = pageSize,
            ["data"] = new JsonArray([.. matching.Skip(pageNo * pageSize).Take(pageSize).Select(s => (JsonNode)new JsonObject
            {
                ["subOperationId"] = s.SubOperationId,
                ["deviceId"] = s.DeviceId,
                ["status"] = s.Status,
                ["operateType"] = task.OperateType,
                ["createTime"] = "20261126T080000Z",
                ["startTime"] = "20261126T080100Z",
                ["stopTime"] = s.StopTime?.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture),
                ["detailInfo"] = new JsonObject { ["note"] = "fake" },
            })]),
        });
        AfterSubOperationsPage?.Invoke(Interlocked.Increment(ref _subOperationPagesServed));
    }
}
