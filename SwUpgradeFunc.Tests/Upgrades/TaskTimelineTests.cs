using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using SwUpgradeFunc.Notifications;
using SwUpgradeFunc.Platform;
using SwUpgradeFunc.Tests.TestSupport;
using SwUpgradeFunc.Upgrades;

namespace SwUpgradeFunc.Tests.Upgrades;

/// <summary>
/// The timeline rows against the sub-task rows they count, after random interleavings on two processors with
/// redeliveries, re-pushes and reordering; its bound; and the projected end, against Azurite with a fake clock.
/// </summary>
public sealed class TaskTimelineTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 26, 9, 0, 0, TimeSpan.Zero);

    private readonly string _table = AzuriteServer.NewName("timeline");
    private readonly FakeTimeProvider _time = new(Start);

    private UpgradeStateStore Store() =>
        new(new TableServiceClient(AzuriteServer.ConnectionString), Options.Create(new UpgradesOptions { TableName = _table }), _time);

    private static NotificationEnvelope At(NotificationEnvelope envelope, DateTimeOffset receivedAt) =>
        NotificationEnvelope.Create(envelope.Notification, receivedAt);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Totals_EqualTheSettledCounts_AfterRandomInterleavingsOnTwoProcessors(int seed)
    {
        var random = new Random(seed);
        var operationId = $"op-tl-{seed}";
        var messages = new List<NotificationEnvelope>();
        for (var d = 0; d < 40; d++)
        {
            var firmware = random.Next(2) == 0;
            var lifecycle = Envelopes.Lifecycle(firmware, random.Next(3) == 0 ? "FAIL" : "SUCCESS", deviceId: $"dev-{seed}-{d}",
                operationId: operationId, withResult: random.Next(5) != 0);
            // Spread over three days, so that the rows of several days and the hours of each are met.
            var at = Start.AddMinutes(random.Next(0, 3 * 1440));
            foreach (var envelope in lifecycle.Take(random.Next(1, lifecycle.Count + 1)).Select(e => At(e, at = at.AddMinutes(random.Next(0, 90)))))
            {
                // A re-push perhaps in another minute.
                messages.AddRange(TwoProcessors.WithRedeliveries(envelope, random, r => TimeSpan.FromMinutes(r.Next(0, 3))));
            }
        }

        _time.SetUtcNow(Start.AddDays(4));
        using var first = Store();
        using var second = Store();
        var stores = new[] { first, second };
        await TwoProcessors.ApplyShuffledAsync(first, second, messages, random);

        var states = await SubTasks(operationId);
        var expected = new Dictionary<DateTimeOffset, (int Succeeded, int Failed, int Pushes)>();
        void Count(DateTimeOffset at, int succeeded, int failed, int pushes)
        {
            var hour = new DateTimeOffset(at.UtcTicks - (at.UtcTicks % TimeSpan.TicksPerHour), TimeSpan.Zero);
            var (s, f, p) = expected.GetValueOrDefault(hour);
            expected[hour] = (s + succeeded, f + failed, p + pushes);
        }

        foreach (var state in states)
        {
            state.History.ForEach(h => Count(h.ReceivedAt, 0, 0, 1));
            if (state.Phase?.IsSettled() == true)
            {
                Count(state.SettledAt!.Value, state.Phase == UpgradePhase.Succeeded ? 1 : 0, state.Phase == UpgradePhase.Failed ? 1 : 0, 0);
            }
        }

        foreach (var store in stores)
        {
            var timeline = (await store.GetTimelineAsync(operationId, TimelineInterval.Hour, CancellationToken.None))!;
            Assert.False(timeline.Truncated);
            Assert.Equal(states.Count(s => s.Phase == UpgradePhase.Succeeded), timeline.Succeeded);
            Assert.Equal(states.Count(s => s.Phase == UpgradePhase.Failed), timeline.Failed);
            Assert.Equal(timeline.Succeeded, timeline.Intervals.Sum(i => i.Succeeded));
            Assert.Equal(timeline.Failed, timeline.Intervals.Sum(i => i.Failed));
            Assert.Equal((0, 0), (timeline.SucceededBefore, timeline.FailedBefore));
            Assert.Equal(expected.OrderBy(e => e.Key).Select(e => (e.Key, e.Value.Succeeded, e.Value.Failed, e.Value.Pushes)),
                timeline.Intervals.Where(i => (i.Succeeded, i.Failed, i.Pushes) != (0, 0, 0)).Select(i => (i.Start, i.Succeeded, i.Failed, i.Pushes)));
        }
    }

    [Fact]
    public async Task Intervals_RunFromTheFirstPushToNow_AndAreBoundedWithTheEarlierSettlesBeforeThem()
    {
        using var store = Store();
        var lifecycle = Envelopes.Lifecycle(false, "SUCCESS", deviceId: "early", operationId: "op-bound");
        foreach (var (envelope, i) in lifecycle.Select((e, i) => (e, i)))
        {
            await store.ApplyAsync(At(envelope, Start.AddMinutes(i)), CancellationToken.None);
        }

        await store.ApplyAsync(At(Envelopes.Lifecycle(false, "FAIL", deviceId: "late", operationId: "op-bound")[^1], Start.AddDays(2)),
            CancellationToken.None);
        _time.SetUtcNow(Start.AddDays(2).AddMinutes(30));

        var hours = (await store.GetTimelineAsync("op-bound", TimelineInterval.Hour, CancellationToken.None))!;
        Assert.Equal((Start, 49, false), (hours.From, hours.Intervals.Count, hours.Truncated));
        Assert.Equal((1, 0, 5), (hours.Intervals[0].Succeeded, hours.Intervals[0].Failed, hours.Intervals[0].Pushes));
        Assert.Equal((0, 1, 1), (hours.Intervals[^1].Succeeded, hours.Intervals[^1].Failed, hours.Intervals[^1].Pushes));

        var minutes = (await store.GetTimelineAsync("op-bound", TimelineInterval.Minute, CancellationToken.None))!;
        Assert.True(minutes.Truncated);
        Assert.Equal(TimelineQueries.MaxIntervals, minutes.Intervals.Count);
        Assert.Equal(Start.AddDays(2).AddMinutes(30), minutes.Intervals[^1].Start);
        Assert.Equal((1, 0), (minutes.SucceededBefore, minutes.FailedBefore));
        Assert.Equal(1, minutes.Intervals.Sum(i => i.Failed));

        var days = (await store.GetTimelineAsync("op-bound", TimelineInterval.Day, CancellationToken.None))!;
        Assert.Equal([(1, 0, 5), (0, 0, 0), (0, 1, 1)], days.Intervals.Select(i => (i.Succeeded, i.Failed, i.Pushes)));
    }

    /// <summary>Longer than <see cref="TimelineQueries.PointReadDays"/>: the rows are found by a key range per bucket instead.</summary>
    [Fact]
    public async Task Days_OfATaskLongerThanThePointReadSpan_AreReadByRange()
    {
        using var store = Store();
        foreach (var (device, day) in new[] { ("d0", 0), ("d5", 5), ("d6", 6) })
        {
            await store.ApplyAsync(At(Envelopes.Lifecycle(false, device == "d5" ? "FAIL" : "SUCCESS", deviceId: device, operationId: "op-long")[^1],
                Start.AddDays(day)), CancellationToken.None);
        }

        _time.SetUtcNow(Start.AddDays(6).AddHours(1));

        var days = (await store.GetTimelineAsync("op-long", TimelineInterval.Day, CancellationToken.None))!;

        Assert.Equal([(1, 0, 1), (0, 0, 0), (0, 0, 0), (0, 0, 0), (0, 0, 0), (0, 1, 1), (1, 0, 1)],
            days.Intervals.Select(i => (i.Succeeded, i.Failed, i.Pushes)));
    }

    [Fact]
    public async Task Eta_IsNull_WithoutASettleInTheLastHour()
    {
        using var store = Store();
        await SettleAsync(store, "op-idle", settled: 3, unsettled: 2, settleAt: i => Start.AddMinutes(i));
        _time.SetUtcNow(Start.AddMinutes(2 + 61));

        var timeline = (await store.GetTimelineAsync("op-idle", TimelineInterval.Hour, CancellationToken.None))!;

        Assert.Equal((2, 0), (timeline.Unsettled, timeline.Rate.Settled));
        Assert.Null(timeline.Eta);
    }

    [Fact]
    public async Task Eta_IsNull_WhenNothingIsLeftToSettle()
    {
        using var store = Store();
        await SettleAsync(store, "op-done", settled: 4, unsettled: 0, settleAt: i => Start.AddMinutes(i));
        _time.SetUtcNow(Start.AddMinutes(10));

        var timeline = (await store.GetTimelineAsync("op-done", TimelineInterval.Hour, CancellationToken.None))!;

        Assert.Equal((0, 4), (timeline.Unsettled, timeline.Rate.Settled));
        Assert.Null(timeline.Eta);
    }

    /// <summary>4 settles in the last hour and 6 sub-tasks left: at 4 an hour they take 90 minutes more.</summary>
    [Fact]
    public async Task Eta_IsNowPlusTheUnsettledAtTheLastHoursSettleRate()
    {
        using var store = Store();
        var now = Start.AddHours(3);
        // Two settled earlier than the window do not count towards the rate; four inside it do.
        await SettleAsync(store, "op-eta", settled: 6, unsettled: 6,
            settleAt: i => i < 2 ? now.AddMinutes(-120 + i) : now.AddMinutes(-50 + (10 * i)));
        _time.SetUtcNow(now);

        var timeline = (await store.GetTimelineAsync("op-eta", TimelineInterval.Hour, CancellationToken.None))!;

        Assert.Equal((now.AddHours(-1), 4, 4.0), (timeline.Rate.Since, timeline.Rate.Settled, timeline.Rate.PerHour));
        Assert.Equal(now.AddMinutes(90), timeline.Eta);
    }

    /// <summary>A task younger than the window: the rate is over its own age (2 settles in 10 minutes), not over an hour.</summary>
    [Fact]
    public async Task Eta_OfATaskYoungerThanTheWindow_UsesTheTimeSinceItsFirstPush()
    {
        using var store = Store();
        await SettleAsync(store, "op-young", settled: 2, unsettled: 4, settleAt: i => Start.AddMinutes(5 + i));
        _time.SetUtcNow(Start.AddMinutes(10));

        var timeline = (await store.GetTimelineAsync("op-young", TimelineInterval.Minute, CancellationToken.None))!;

        Assert.Equal(Start, timeline.Rate.Since);
        Assert.Equal(Start.AddMinutes(10 + 20), timeline.Eta);
    }

    /// <summary>Sub-tasks pushed once at <see cref="Start"/>; the first <paramref name="settled"/> then succeed at <paramref name="settleAt"/>.</summary>
    private static async Task SettleAsync(UpgradeStateStore store, string operationId, int settled, int unsettled, Func<int, DateTimeOffset> settleAt)
    {
        for (var d = 0; d < settled + unsettled; d++)
        {
            var lifecycle = Envelopes.Lifecycle(false, "SUCCESS", deviceId: $"{operationId}-{d}", operationId: operationId);
            await store.ApplyAsync(At(lifecycle[0], Start), CancellationToken.None);
            if (d < settled)
            {
                await store.ApplyAsync(At(lifecycle[^1], settleAt(d)), CancellationToken.None);
            }
        }
    }

    private async Task<List<SubTaskState>> SubTasks(string operationId)
    {
        var table = new TableClient(AzuriteServer.ConnectionString, _table);
        var states = new List<SubTaskState>();
        for (var b = 0; b < StorageKeys.Buckets; b++)
        {
            await foreach (var e in table.QueryAsync<TableEntity>(
                               $"PartitionKey eq '{StorageKeys.TaskPartition(operationId, b)}' and RowKey ge 's|' and RowKey lt 's}}'"))
            {
                states.Add(StateEntities.ToState(e));
            }
        }

        return states;
    }
}
