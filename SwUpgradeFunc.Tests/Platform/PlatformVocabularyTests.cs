using SwUpgradeFunc.Platform;

namespace SwUpgradeFunc.Tests.Platform;

/// <summary>The platform's words as the client spells them: notify types, sub-task statuses, task kinds, time stamps.</summary>
public sealed class PlatformVocabularyTests
{
    [Fact]
    public void NotifyTypes_AreThePlatformsFourUpgradeTypes_AndItsServiceDataTypes()
    {
        Assert.Equal(["swUpgradeStateChangeNotify", "swUpgradeResultNotify", "fwUpgradeStateChangeNotify", "fwUpgradeResultNotify"],
            NotifyTypes.UpgradeTypes);
        Assert.Equal(
            [
                "deviceAdded", "bindDevice", "deviceInfoChanged", "deviceDataChanged", "deviceDatasChanged", "deviceCapabilitiesChanged",
                "deviceCapabilitiesAdded", "deviceCapabilitiesDeleted", "deviceDeleted", "messageConfirm", "commandRsp", "ruleEvent",
                "deviceDesiredPropertiesModifyStatusChanged", "deviceEvent", "serviceInfoChanged", "deviceModelAdded", "deviceModelDeleted",
            ],
            NotifyTypes.ServiceDataTypes);
    }

    [Theory]
    [InlineData("swUpgradeResultNotify", true, true)]
    [InlineData("fwUpgradeStateChangeNotify", true, true)]
    [InlineData("deviceAdded", false, true)]
    [InlineData("deviceModelDeleted", false, true)]
    [InlineData("DeviceAdded", false, false)]
    [InlineData("swupgraderesultnotify", false, false)]
    public void NotifyTypes_AreMatchedExactly(string notifyType, bool managementData, bool known) =>
        Assert.Equal((managementData, known), (NotifyTypes.IsUpgrade(notifyType), NotifyTypes.IsKnown(notifyType)));

    [Theory]
    [InlineData("success", true, "SUCCESS")]
    [InlineData("SUCCESS", true, "SUCCESS")]
    [InlineData("Fail", true, "FAIL")]
    [InlineData("stop", false, null)]
    [InlineData("processing", false, null)]
    [InlineData("wait", false, null)]
    [InlineData(null, false, null)]
    public void SubOperationStatuses_OnlySuccessAndFailAreResults(string? status, bool isResult, string? result) =>
        Assert.Equal((isResult, result), (SubOperationStatuses.IsResult(status), SubOperationStatuses.ToResult(status)));

    [Theory]
    [InlineData("firmware_upgrade", "firmware")]
    [InlineData("FIRMWARE", "firmware")]
    [InlineData("software_upgrade", "software")]
    [InlineData("Software", "software")]
    [InlineData("configuration", null)]
    [InlineData(null, null)]
    public void UpgradeTask_Kind_ComesFromItsOperateType(string? operateType, string? kind) =>
        Assert.Equal(kind, new UpgradeOperation { OperateType = operateType }.Kind);

    [Theory]
    [InlineData(" 20261126T101500Z ", "2026-11-26T10:15:00+00:00")]
    [InlineData("   ", null)]
    [InlineData(null, null)]
    public void PlatformTime_TrimsAndReadsUtc(string? text, string? expected) =>
        Assert.Equal(expected is null ? null : DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), PlatformTime.Parse(text));
    [Fact]
    public void PhaseNames_AreTheLifecycleThenTheResults_AndNoneLast()
    {
        Assert.Equal(["downloading", "downloaded", "updating", "idle", "succeeded", "failed", "none"], UpgradePhases.Names);
        Assert.All(UpgradePhases.All, phase => Assert.Equal(phase, UpgradePhases.Parse(phase.Name())));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(12)]
    public void PhaseName_OfAValueThatIsNoPhase_Throws_InsteadOfCountingItAsFailed(int value) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => ((UpgradePhase)value).Name());

    [Theory]
    [InlineData("swUpgradeStateChangeNotify", "downloading", UpgradePhase.Downloading)]
    [InlineData("swUpgradeStateChangeNotify", "idle", UpgradePhase.Idle)]
    [InlineData("fwUpgradeStateChangeNotify", "1", UpgradePhase.Downloading)]
    [InlineData("fwUpgradeStateChangeNotify", " 3 ", UpgradePhase.Updating)]
    [InlineData("fwUpgradeStateChangeNotify", "0", UpgradePhase.Idle)]
    [InlineData("swUpgradeStateChangeNotify", "Downloading", null)]
    [InlineData("swUpgradeStateChangeNotify", "1", null)]
    [InlineData("fwUpgradeStateChangeNotify", "downloading", null)]
    [InlineData("swUpgradeResultNotify", "downloading", null)]
    public void StepOf_ReadsEachStateTypesOwnValues(string notifyType, string value, UpgradePhase? step) =>
        Assert.Equal(step, UpgradePhases.StepOf(notifyType, value));

    [Fact]
    public void SoftwareStatesAndFirmwareSteps_NameTheSameLifecycle_InTheSameOrder() =>
        Assert.Equal(
            SoftwareUpgradeStates.All.Select(v => UpgradePhases.StepOf(NotifyTypes.SwUpgradeStateChange, v)),
            FirmwareUpgradeSteps.All.Select(v => UpgradePhases.StepOf(NotifyTypes.FwUpgradeStateChange, v)));

    [Theory]
    [InlineData("SUCCESS", UpgradePhase.Succeeded)]
    [InlineData("success", UpgradePhase.Succeeded)]
    [InlineData("Fail", UpgradePhase.Failed)]
    [InlineData("STOP", null)]
    [InlineData(null, null)]
    public void Results_SettleInTheirPhase_WhateverTheirCase(string? result, UpgradePhase? phase) =>
        Assert.Equal(phase, UpgradePhases.SettledBy(result));

    [Theory]
    [InlineData("swUpgradeStateChangeNotify", "software")]
    [InlineData("swUpgradeResultNotify", "software")]
    [InlineData("fwUpgradeStateChangeNotify", "firmware")]
    [InlineData("fwUpgradeResultNotify", "firmware")]
    public void Kind_OfAPush_ComesFromItsType(string notifyType, string kind) =>
        Assert.Equal(kind, UpgradeKinds.OfNotifyType(notifyType));
}
