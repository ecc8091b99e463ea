using System.Text.Json;
using SwUpgradeFunc.Upgrades;

namespace SwUpgradeFunc.Tests.Upgrades;

public sealed class UpgradeViewsTests
{
    private static readonly TaskSummary Summary = new("op-v", "firmware", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddHours(1),
        3, new Dictionary<string, int> { ["failed"] = 1 }, 2, 1, 1, "PT1H", 1.0, false);

    /// <summary>The progress answer is the task's summary followed by its own fields, in the order clients have always read.</summary>
    [Fact]
    public void Progress_SerializesTheSummaryFieldsFirst_ThenItsOwn_InTheAnswersOrder()
    {
        var progress = new TaskProgress(Summary, 0.1, 20, [], "next");

        using var json = JsonDocument.Parse(JsonSerializer.SerializeToUtf8Bytes(progress, UpgradesJsonContext.Default.TaskProgress));

        Assert.Equal(
            ["operationId", "kind", "firstUpdate", "lastUpdate", "total", "phases", "active", "settled", "stalled", "stalledAfter",
                "failureRate", "alert", "failureRateThreshold", "failureRateMinSettled", "subTasks", "continuationToken"],
            json.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal(("op-v", 3, 0.1, "next"), (json.RootElement.GetProperty("operationId").GetString(),
            json.RootElement.GetProperty("total").GetInt32(), json.RootElement.GetProperty("failureRateThreshold").GetDouble(),
            json.RootElement.GetProperty("continuationToken").GetString()));
    }

    /// <summary>A task in the list is its summary alone: none of the progress answer's fields.</summary>
    [Fact]
    public void TaskList_SerializesEachTaskAsItsSummary_WithoutTheProgressFields()
    {
        using var json = JsonDocument.Parse(JsonSerializer.SerializeToUtf8Bytes(new TaskList([Summary], null),
            UpgradesJsonContext.Default.TaskList));

        var task = Assert.Single(json.RootElement.GetProperty("tasks").EnumerateArray().ToList());
        Assert.Equal(12, task.EnumerateObject().Count());
        Assert.False(task.TryGetProperty("subTasks", out _));
    }
}
