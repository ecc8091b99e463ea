using System.Globalization;
using System.Text;
using System.Text.Json;
using SwUpgradeFunc.Platform;

namespace SwUpgrade.Cli.Simulation;

/// <summary>One push of the simulated platform, with the JSON body it sends.</summary>
public sealed record ScheduledPush(
    int Sequence,
    int Device,
    string DeviceId,
    string SubOperationId,
    string NotifyType,
    string Value,
    int Step,
    bool IsDuplicate,
    byte[] Body);

/// <summary>What the status API must show for a device once everything is processed.</summary>
public sealed record ExpectedDevice(string DeviceId, string SubOperationId, string FinalPhase);

/// <summary>
/// The pushes of a simulated fleet, in sending order. Each device of the task goes through its lifecycle (four
/// states, then a result); the fleet moves in waves, every device's first push, then every device's second, and so
/// on. With a seed, some devices get two consecutive pushes swapped (reordering) and some pushes are sent again one
/// or two waves later (duplicates). Whatever the order, the final phase of a device is its result.
/// </summary>
public sealed class FleetSchedule
{
    /// <summary>The pushes of one lifecycle.</summary>
    public const int LifecycleLength = 5;

    private FleetSchedule(IReadOnlyList<ScheduledPush> pushes, IReadOnlyDictionary<string, ExpectedDevice> expected,
        int reorderedDevices, int duplicates)
    {
        Pushes = pushes;
        Expected = expected;
        ReorderedDevices = reorderedDevices;
        Duplicates = duplicates;
    }

    public IReadOnlyList<ScheduledPush> Pushes { get; }

    /// <summary>By subOperationId.</summary>
    public IReadOnlyDictionary<string, ExpectedDevice> Expected { get; }

    public int ReorderedDevices { get; }

    public int Duplicates { get; }

    public static string DeviceIdOf(string operationId, int device) =>
        string.Create(CultureInfo.InvariantCulture, $"sim-dev-{device:D6}-{Short(operationId)}");

    public static string SubOperationIdOf(string operationId, int device) =>
        string.Create(CultureInfo.InvariantCulture, $"sim-sub-{device:D6}-{Short(operationId)}");

    public static FleetSchedule Create(SimulationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var random = new Random(options.Seed);
        var slotted = new List<(double Slot, int Device, int Order, ScheduledPush Push)>(
            options.Devices * LifecycleLength * (options.DuplicateRatio > 0 ? 2 : 1));
        var expected = new Dictionary<string, ExpectedDevice>(options.Devices, StringComparer.Ordinal);
        var reordered = 0;
        var duplicates = 0;
        var order = 0;

        for (var device = 0; device < options.Devices; device++)
        {
            var firmware = options.Kind == FleetKind.Firmware || (options.Kind == FleetKind.Mixed && device % 2 == 1);
            var failed = random.NextDouble() < options.FailRatio;
            var deviceId = DeviceIdOf(options.OperationId, device);
            var subOperationId = SubOperationIdOf(options.OperationId, device);
            expected[subOperationId] = new ExpectedDevice(deviceId, subOperationId, (failed ? UpgradePhase.Failed : UpgradePhase.Succeeded).Name());

            var lifecycle = Lifecycle(firmware, failed).ToList();
            if (random.NextDouble() < options.ReorderRatio)
            {
                var i = random.Next(0, LifecycleLength - 1);
                (lifecycle[i], lifecycle[i + 1]) = (lifecycle[i + 1], lifecycle[i]);
                reordered++;
            }

            for (var wave = 0; wave < lifecycle.Count; wave++)
            {
                var (type, value, step) = lifecycle[wave];
                var body = Body(type, value, deviceId, subOperationId, options);
                slotted.Add((wave, device, order++, new ScheduledPush(0, device, deviceId, subOperationId, type, value, step, false, body)));
                if (random.NextDouble() < options.DuplicateRatio)
                {
                    // A retry arrives one or two waves later, possibly after the device has moved on.
                    var later = wave + 1 + random.Next(0, 2) + random.NextDouble() * 0.5;
                    slotted.Add((later, device, order++, new ScheduledPush(0, device, deviceId, subOperationId, type, value, step, true, body)));
                    duplicates++;
                }
            }
        }

        var pushes = slotted
            .OrderBy(s => Math.Floor(s.Slot)).ThenBy(s => s.Device).ThenBy(s => s.Order)
            .Select((s, i) => s.Push with { Sequence = i })
            .ToList();
        return new FleetSchedule(pushes, expected, reordered, duplicates);
    }

    /// <summary>The pushes of one device: (notifyType, state or result value, lifecycle step 0-4).</summary>
    private static IEnumerable<(string Type, string Value, int Step)> Lifecycle(bool firmware, bool failed)
    {
        for (var step = 0; step < 4; step++)
        {
            yield return firmware
                ? (NotifyTypes.FwUpgradeStateChange, FirmwareUpgradeSteps.All[step], step)
                : (NotifyTypes.SwUpgradeStateChange, SoftwareUpgradeStates.All[step], step);
        }

        yield return (firmware ? NotifyTypes.FwUpgradeResult : NotifyTypes.SwUpgradeResult, failed ? UpgradeResults.Fail : UpgradeResults.Success, 4);
    }

    private static byte[] Body(string type, string value, string deviceId, string subOperationId, SimulationOptions options)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("notifyType", type);
            json.WriteString("deviceId", deviceId);
            json.WriteString("appId", options.AppId);
            json.WriteString("operationId", options.OperationId);
            json.WriteString("subOperationId", subOperationId);
            switch (type)
            {
                case NotifyTypes.SwUpgradeStateChange:
                    json.WriteString("swUpgradeState", value);
                    break;
                case NotifyTypes.FwUpgradeStateChange:
                    json.WriteString("step", value);
                    json.WriteString("stepDesc", UpgradePhases.StepOf(type, value)?.Name());
                    break;
                case NotifyTypes.SwUpgradeResult:
                    json.WriteString("curVersion", value == UpgradeResults.Success ? "2.0.0" : "1.0.0");
                    json.WriteString("targetVersion", "2.0.0");
                    json.WriteString("sourceVersion", "1.0.0");
                    json.WriteString("swUpgradeResult", value);
                    json.WriteString("upgradeTime", "120");
                    json.WriteString("resultDesc", value == UpgradeResults.Success ? "upgrade finished" : "upgrade failed");
                    json.WriteString("errorCode", value == UpgradeResults.Success ? "" : "E-SIM-1");
                    json.WriteString("description", "simulated software upgrade");
                    break;
                default:
                    json.WriteString("curVersion", value == UpgradeResults.Success ? "V2" : "V1");
                    json.WriteString("targetVersion", "V2");
                    json.WriteString("sourceVersion", "V1");
                    json.WriteString("status", value);
                    json.WriteString("statusDesc", value == UpgradeResults.Success ? "ok" : "failed");
                    json.WriteNumber("upgradeTime", 95);
                    break;
            }

            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static string Short(string operationId)
    {
        // Device ids stay unique per task without growing with a long operationId.
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(operationId))
        {
            hash = unchecked((hash ^ b) * 16777619u);
        }

        return hash.ToString("x8", CultureInfo.InvariantCulture);
    }
}
