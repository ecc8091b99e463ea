using SwUpgradeFunc.Notifications;
using SwUpgradeFunc.Platform;
using SwUpgradeFunc.Tests.TestSupport;
using SwUpgradeFunc.Upgrades;

namespace SwUpgradeFunc.Tests.Upgrades;

/// <summary>The platform's final status applied through the state machine, next to the pushes it stands in for.</summary>
public class ReconciliationStateMachineTests
{
    private const int Limit = 100;
    private static readonly DateTimeOffset PlatformStop = new(2026, 11, 26, 9, 30, 0, TimeSpan.Zero);

    internal static NotificationEnvelope Reconcile(string status, string deviceId = "dev-1", string operationId = "op-1",
        string? subOperationId = null, string? kind = "software", DateTimeOffset? at = null) =>
        NotificationEnvelope.CreateReconciliation("app-1", operationId, subOperationId ?? "sub-" + deviceId, deviceId,
            new ReconciliationDetail { PlatformStatus = status, PlatformTime = PlatformStop, Kind = kind, Source = "api" },
            at ?? new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));

    private static Transition Step(ref SubTaskState? state, NotificationEnvelope envelope)
    {
        var transition = UpgradeStateMachine.Apply(state, envelope, Limit);
        state = transition.State;
        return transition;
    }

    /// <summary>
    /// The settled event is due once per settlement and again for each repeat of the settling result (a redelivery after
    /// a failed publication), never for a state push, another result, or a reconciliation that replaces a result.
    /// </summary>
    [Fact]
    public void SettledEventDue_ForTheSettlingMessage_AndItsRepeats_Only()
    {
        SubTaskState? state = null;
        var downloading = Envelopes.Of(Pushes.SwState("downloading"));
        var result = Envelopes.Of(Pushes.SwResult("SUCCESS"));
        Assert.False(Step(ref state, downloading).SettledEventDue);

        Assert.True(Step(ref state, result).SettledEventDue);
        Assert.True(Step(ref state, result).SettledEventDue); // the same message delivered again
        Assert.True(Step(ref state, Envelopes.Of(Pushes.SwResult("success"))).SettledEventDue); // re-pushed, in another case
        Assert.True(Step(ref state, Reconcile("success")).SettledEventDue); // the platform agrees: nothing to repair
        Assert.False(Step(ref state, Envelopes.Repush(downloading)).SettledEventDue);
        Assert.False(Step(ref state, Envelopes.Of(Pushes.SwResult("FAIL"))).SettledEventDue); // conflicting: the first stands
        Assert.False(Step(ref state, Reconcile("fail")).SettledEventDue); // replaces the result: not a new settlement
        Assert.True(Step(ref state, Reconcile("fail")).SettledEventDue); // and once replaced, a repeat of it is the settled one
    }

    [Fact]
    public void Reconciliation_SettlesAStalledSubTask_AndSaysSoInTheHistory()
    {
        SubTaskState? state = null;
        foreach (var push in Envelopes.Lifecycle(firmware: false, "SUCCESS", withResult: false).Take(2))
        {
            Step(ref state, push);
        }

        var transition = Step(ref state, Reconcile("success"));

        Assert.Equal((Verdicts.Settled, UpgradePhase.Downloaded, UpgradePhase.Succeeded, true),
            (transition.Verdict, transition.From, transition.To, transition.Settles));
        Assert.Equal("SUCCESS", state!.Result);
        var entry = state.History[^1];
        Assert.Equal((MessageTypes.Reconciliation, "success", Verdicts.Settled, (DateTimeOffset?)PlatformStop),
            (entry.NotifyType, entry.Value, entry.Verdict, entry.PlatformTime));
        Assert.Equal(0, state.Duplicates);
    }

    [Fact]
    public void Reconciliation_CreatesASubTaskNeverPushed_WithThePlatformsKind()
    {
        SubTaskState? state = null;

        var transition = Step(ref state, Reconcile("fail", kind: "firmware"));

        Assert.Equal((UpgradePhase.Failed, "FAIL", "firmware", "app-1"), (state!.Phase, state.Result, state.Kind, state.AppId));
        Assert.Null(transition.From);
        Assert.True(transition.Settles);
    }

    [Fact]
    public void Reconciliation_ReplacesAContradictingResult_AndTheDescriptionsOfIt()
    {
        SubTaskState? state = null;
        Step(ref state, Envelopes.Of(Pushes.SwResult("FAIL")));

        var transition = Step(ref state, Reconcile("success"));

        Assert.Equal((Verdicts.SettledReplacingResult, UpgradePhase.Failed, UpgradePhase.Succeeded), (transition.Verdict, transition.From, transition.To));
        Assert.False(transition.Settles); // not a second settlement: the sub-task's one settled event was published
        Assert.Equal(("SUCCESS", (string?)null, (string?)null), (state!.Result, state.ResultDesc, state.ErrorCode));
        Assert.Equal(["FAIL", "success"], state.History.Select(h => h.Value));
    }

    [Fact]
    public void Reconciliation_ChangesNothing_WhenTheResultIsAlreadyThePlatforms_OrItIsDeliveredAgain()
    {
        SubTaskState? state = null;
        Step(ref state, Envelopes.Of(Pushes.SwResult("SUCCESS")));
        var agreeing = Step(ref state, Reconcile("success"));

        SubTaskState? reconciled = null;
        var once = Reconcile("fail");
        Step(ref reconciled, once);
        var again = Step(ref reconciled, once);

        Assert.True(agreeing.IsDuplicate);
        Assert.False(agreeing.Settles);
        Assert.Single(state!.History);
        Assert.Equal(0, state.Duplicates);
        Assert.True(again.IsDuplicate);
        Assert.Single(reconciled!.History);
    }

    [Fact]
    public void ALateResultPush_ThatAgrees_IsConfirmed_AndBringsItsDetails_WithoutSettlingAgain()
    {
        SubTaskState? state = null;
        Step(ref state, Reconcile("success"));

        var late = Step(ref state, Envelopes.Of(Pushes.SwResult("SUCCESS"), new DateTimeOffset(2026, 11, 26, 12, 5, 0, TimeSpan.Zero)));

        Assert.Equal(Verdicts.Confirmed, late.Verdict);
        Assert.False(late.Settles);
        Assert.Equal((UpgradePhase.Succeeded, "2.0.0"), (state!.Phase!.Value, state.CurVersion));
    }

    [Fact]
    public void ALateResultPush_ThatDisagrees_LeavesThePlatformsResult()
    {
        SubTaskState? state = null;
        Step(ref state, Reconcile("success"));

        var late = Step(ref state, Envelopes.Of(Pushes.SwResult("FAIL"), new DateTimeOffset(2026, 11, 26, 12, 5, 0, TimeSpan.Zero)));
        var lateState = Step(ref state, Envelopes.Of(Pushes.SwState("updating"), new DateTimeOffset(2026, 11, 26, 12, 6, 0, TimeSpan.Zero)));

        Assert.Equal(Verdicts.ConflictingResult, late.Verdict);
        Assert.Equal(Verdicts.Stale, lateState.Verdict);
        Assert.Equal("SUCCESS", state!.Result);
    }

    [Fact]
    public void Envelope_RoundTrips_AndTheParserRefusesAReconciliationWithoutAFinalStatus()
    {
        var envelope = Reconcile("fail");
        Assert.True(NotificationEnvelope.TryParse(Envelopes.Json(envelope), out var parsed, out _));
        Assert.Equal(envelope.Reconciliation, parsed!.Reconciliation);
        Assert.True(parsed.IsReconciliation);

        var bad = Envelopes.Json(envelope).Replace("\"platformStatus\":\"fail\"", "\"platformStatus\":\"processing\"", StringComparison.Ordinal);
        Assert.False(NotificationEnvelope.TryParse(bad, out _, out var reason));
        Assert.Contains("success or fail", reason, StringComparison.Ordinal);

        var push = Envelopes.Json(Envelopes.Of(Pushes.SwResult("SUCCESS")));
        Assert.DoesNotContain("reconciliation", push, StringComparison.Ordinal);
    }

    [Fact]
    public void Reconciliation_SettlesAtThePlatformsStopTime_OrWhenApplied_IfThePlatformGaveNone()
    {
        SubTaskState? timed = null;
        Step(ref timed, Reconcile("success"));
        var applied = new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);
        SubTaskState? untimed = null;
        Step(ref untimed, NotificationEnvelope.CreateReconciliation("app-1", "op-1", "sub-1", "dev-1",
            new ReconciliationDetail { PlatformStatus = "fail", Kind = "software", Source = "api" }, applied));

        Assert.Equal(PlatformStop, timed!.SettledAt);
        Assert.Equal(applied, untimed!.SettledAt);
    }

    [Fact]
    public void Reconciliation_WithoutAKind_CreatesASubTaskOfUnknownKind_AndRemembersItsSignature()
    {
        SubTaskState? state = null;

        var transition = Step(ref state, Reconcile("success", kind: null));
        var again = Step(ref state, Reconcile("success", kind: null));

        Assert.Equal("unknown", state!.Kind);
        Assert.Equal(["reconciled:SUCCESS"], state.Seen);
        Assert.Equal(("duplicate", true), (again.Verdict, again.IsDuplicate));
        Assert.True(transition.Settles);
    }
}
