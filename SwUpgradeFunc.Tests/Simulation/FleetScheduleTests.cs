using SwUpgrade.Cli.Simulation;
using SwUpgradeFunc.Notifications;
using SwUpgradeFunc.Platform;

namespace SwUpgradeFunc.Tests.Simulation;

public class FleetScheduleTests
{
    private static SimulationOptions Options(int devices = 10, double duplicates = 0, double reorder = 0, double fail = 0,
        FleetKind kind = FleetKind.Software, int seed = 1) => new()
        {
            Target = new Uri("http://127.0.0.1:7071/v1.0.0/messageReceiver"),
            Devices = devices,
            DuplicateRatio = duplicates,
            ReorderRatio = reorder,
            FailRatio = fail,
            Kind = kind,
            Seed = seed,
            OperationId = "op-sim",
            AppId = "app-sim",
        };

    [Fact]
    public void Without_reordering_every_device_sends_the_four_states_then_its_result()
    {
        var schedule = FleetSchedule.Create(Options(devices: 7));

        Assert.Equal(7 * FleetSchedule.LifecycleLength, schedule.Pushes.Count);
        foreach (var device in schedule.Pushes.GroupBy(p => p.Device))
        {
            Assert.Equal(["downloading", "downloaded", "updating", "idle", "SUCCESS"], device.Select(p => p.Value));
            Assert.Equal(
                [NotifyTypes.SwUpgradeStateChange, NotifyTypes.SwUpgradeStateChange, NotifyTypes.SwUpgradeStateChange, NotifyTypes.SwUpgradeStateChange, NotifyTypes.SwUpgradeResult],
                device.Select(p => p.NotifyType));
        }
    }

    [Fact]
    public void The_fleet_moves_in_waves_every_device_first_push_before_any_second()
    {
        var schedule = FleetSchedule.Create(Options(devices: 5));

        Assert.All(schedule.Pushes.Take(5), p => Assert.Equal(0, p.Step));
        Assert.Equal([0, 1, 2, 3, 4], schedule.Pushes.Take(5).Select(p => p.Device));
        Assert.All(schedule.Pushes.TakeLast(5), p => Assert.Equal(4, p.Step));
        Assert.Equal(Enumerable.Range(0, schedule.Pushes.Count), schedule.Pushes.Select(p => p.Sequence));
    }

    [Fact]
    public void Every_body_is_a_valid_upgrade_push_for_the_receiver()
    {
        var schedule = FleetSchedule.Create(Options(devices: 4, kind: FleetKind.Mixed, fail: 0.5, duplicates: 0.3, reorder: 0.5));

        Assert.All(schedule.Pushes, p =>
        {
            var parsed = NotificationParser.Parse(p.Body);
            Assert.Equal(PushKind.Upgrade, parsed.Kind);
            Assert.Equal(p.NotifyType, parsed.Notification!.NotifyType);
            Assert.Equal(p.DeviceId, parsed.Notification.DeviceId);
            Assert.Equal(p.SubOperationId, parsed.Notification.SubOperationId);
            Assert.Equal("op-sim", parsed.Notification.OperationId);
            Assert.Equal("app-sim", parsed.Notification.AppId);
        });
    }

    [Fact]
    public void The_same_seed_gives_the_same_schedule_and_another_seed_another()
    {
        static string Render(FleetSchedule s) =>
            string.Join("|", s.Pushes.Select(p => $"{p.Device}:{p.Value}:{p.IsDuplicate}"));

        var first = FleetSchedule.Create(Options(devices: 50, duplicates: 0.2, reorder: 0.3, fail: 0.3, seed: 42));
        var again = FleetSchedule.Create(Options(devices: 50, duplicates: 0.2, reorder: 0.3, fail: 0.3, seed: 42));
        var other = FleetSchedule.Create(Options(devices: 50, duplicates: 0.2, reorder: 0.3, fail: 0.3, seed: 43));

        Assert.Equal(Render(first), Render(again));
        Assert.NotEqual(Render(first), Render(other));
    }

    [Fact]
    public void With_every_push_duplicated_each_copy_comes_after_its_original_and_is_marked()
    {
        var schedule = FleetSchedule.Create(Options(devices: 6, duplicates: 1));

        Assert.Equal(6 * FleetSchedule.LifecycleLength * 2, schedule.Pushes.Count);
        Assert.Equal(6 * FleetSchedule.LifecycleLength, schedule.Duplicates);
        foreach (var copy in schedule.Pushes.Where(p => p.IsDuplicate))
        {
            var original = Assert.Single(schedule.Pushes, p => !p.IsDuplicate && p.Device == copy.Device && p.Value == copy.Value);
            Assert.True(copy.Sequence > original.Sequence);
            Assert.Equal(original.Body, copy.Body);
        }
    }

    [Fact]
    public void Reordering_swaps_two_consecutive_pushes_of_a_device_and_keeps_all_of_them()
    {
        var schedule = FleetSchedule.Create(Options(devices: 20, reorder: 1));

        Assert.Equal(20, schedule.ReorderedDevices);
        foreach (var device in schedule.Pushes.GroupBy(p => p.Device))
        {
            var steps = device.Select(p => p.Step).ToArray();
            Assert.Equal([0, 1, 2, 3, 4], steps.Order());
            var displaced = Enumerable.Range(0, steps.Length).Where(i => steps[i] != i).ToArray();
            Assert.Equal(2, displaced.Length);
            Assert.Equal(displaced[0] + 1, displaced[1]);
        }
    }

    [Fact]
    public void The_expected_final_phase_is_the_result_whatever_the_order()
    {
        var schedule = FleetSchedule.Create(Options(devices: 40, fail: 0.5, reorder: 1, duplicates: 0.5, seed: 9));

        Assert.Equal(40, schedule.Expected.Count);
        foreach (var device in schedule.Pushes.Where(p => p.Step == 4 && !p.IsDuplicate))
        {
            var expected = schedule.Expected[device.SubOperationId];
            Assert.Equal(device.Value == "SUCCESS" ? "succeeded" : "failed", expected.FinalPhase);
            Assert.Equal(device.DeviceId, expected.DeviceId);
        }

        Assert.Contains(schedule.Expected.Values, e => e.FinalPhase == "failed");
        Assert.Contains(schedule.Expected.Values, e => e.FinalPhase == "succeeded");
    }

    [Fact]
    public void A_firmware_fleet_sends_steps_1_2_3_0_and_a_status_and_a_mixed_fleet_alternates()
    {
        var firmware = FleetSchedule.Create(Options(devices: 2, kind: FleetKind.Firmware, fail: 1));
        Assert.All(firmware.Pushes.GroupBy(p => p.Device), d => Assert.Equal(["1", "2", "3", "0", "FAIL"], d.Select(p => p.Value)));
        Assert.All(firmware.Pushes, p => Assert.StartsWith("fw", p.NotifyType, StringComparison.Ordinal));

        var mixed = FleetSchedule.Create(Options(devices: 4, kind: FleetKind.Mixed));
        Assert.All(mixed.Pushes, p => Assert.StartsWith(p.Device % 2 == 0 ? "sw" : "fw", p.NotifyType, StringComparison.Ordinal));
    }

    [Fact]
    public void Device_ids_are_unique_per_task()
    {
        var schedule = FleetSchedule.Create(Options(devices: 1000));

        Assert.Equal(1000, schedule.Pushes.Select(p => p.DeviceId).Distinct().Count());
        Assert.NotEqual(FleetSchedule.DeviceIdOf("op-a", 1), FleetSchedule.DeviceIdOf("op-b", 1));
    }
}
