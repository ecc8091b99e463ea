using CsCheck;
using SwUpgradeFunc.Notifications;
using SwUpgradeFunc.Platform;
using SwUpgradeFunc.Tests.TestSupport;
using SwUpgradeFunc.Upgrades;

namespace SwUpgradeFunc.Tests.Upgrades;

public class UpgradeStateMachineTests
{
    private const int Limit = 100;

    private static SubTaskState Run(IEnumerable<NotificationEnvelope> envelopes, int limit = Limit)
    {
        SubTaskState? state = null;
        foreach (var envelope in envelopes)
        {
            state = UpgradeStateMachine.Apply(state, envelope, limit).State;
        }

        return state!;
    }

    private static Transition Step(ref SubTaskState? state, NotificationEnvelope envelope)
    {
        var transition = UpgradeStateMachine.Apply(state, envelope, Limit);
        state = transition.State;
        return transition;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Apply_WalksTheLifecycle_AndTheResultSettlesIt(bool firmware)
    {
        SubTaskState? state = null;
        var lifecycle = Envelopes.Lifecycle(firmware, "SUCCESS");
        var phases = lifecycle.Select(e => Step(ref state, e)).Select(t => (t.Verdict, t.To)).ToArray();

        Assert.Equal(
            [
                (Verdicts.Advanced, UpgradePhase.Downloading), (Verdicts.Advanced, UpgradePhase.Downloaded),
                (Verdicts.Advanced, UpgradePhase.Updating), (Verdicts.Advanced, UpgradePhase.Idle),
                (Verdicts.Settled, UpgradePhase.Succeeded),
            ],
            phases);
        Assert.Equal(firmware ? "firmware" : "software", state!.Kind);
        Assert.Equal("SUCCESS", state.Result);
        Assert.Equal(5, state.History.Count);
        Assert.False(state.SkippedSteps);
    }

    [Fact]
    public void Apply_RecordsTheResultsVersionsAndDescription()
    {
        var state = Run([Envelopes.Of(Pushes.SwResult("FAIL"))]);

        Assert.Equal((UpgradePhase.Failed, "FAIL", "2.0.0", "2.0.0", "1.0.0", "120", "upgrade finished", ""),
            (state.Phase!.Value, state.Result, state.CurVersion, state.TargetVersion, state.SourceVersion, state.UpgradeTime,
                state.ResultDesc, state.ErrorCode));
    }

    [Fact]
    public void Apply_FirmwareResult_TakesStatusDescAsItsDescription()
    {
        var state = Run([Envelopes.Of(Pushes.FwResult("FAIL"))]);

        Assert.Equal((UpgradePhase.Failed, "ok", "95"), (state.Phase!.Value, state.ResultDesc, state.UpgradeTime));
    }

    [Fact]
    public void Apply_SameEnvelopeTwice_OnlyCountsADuplicate()
    {
        var envelope = Envelopes.Of(Pushes.SwState("downloading"));
        SubTaskState? state = null;
        Step(ref state, envelope);
        var before = state!.LastUpdate;

        var again = Step(ref state, envelope);

        Assert.True(again.IsDuplicate);
        Assert.False(again.PhaseChanged);
        Assert.Equal(1, state!.Duplicates);
        Assert.Single(state.History);
        Assert.Equal(before, state.LastUpdate);
    }

    [Fact]
    public void Apply_SameStatePushedTwiceByThePlatform_OnlyCountsADuplicate()
    {
        var first = Envelopes.Of(Pushes.SwState("downloaded"));
        SubTaskState? state = null;
        Step(ref state, first);

        var again = Step(ref state, Envelopes.Repush(first));

        Assert.True(again.IsDuplicate);
        Assert.Equal(1, state!.Duplicates);
        Assert.Single(state.History);
    }

    [Fact]
    public void Apply_AnEarlierState_IsRecordedAsStale_AndDoesNotMoveThePhaseBack()
    {
        SubTaskState? state = null;
        Step(ref state, Envelopes.Of(Pushes.SwState("updating")));

        var late = Step(ref state, Envelopes.Of(Pushes.SwState("downloading")));

        Assert.Equal((Verdicts.Stale, UpgradePhase.Updating), (late.Verdict, state!.Phase!.Value));
        Assert.Equal("updating", state.LastState);
        Assert.Equal(2, state.History.Count);
    }

    [Fact]
    public void Apply_ASkippedStep_MovesForward_AndIsFlagged()
    {
        SubTaskState? state = null;
        Step(ref state, Envelopes.Of(Pushes.SwState("downloading")));

        var skip = Step(ref state, Envelopes.Of(Pushes.SwState("updating")));

        Assert.Equal((Verdicts.AdvancedSkippingSteps, UpgradePhase.Updating), (skip.Verdict, state!.Phase!.Value));
        Assert.True(state.SkippedSteps);
    }

    [Fact]
    public void Apply_AResultBeforeAnyState_SettlesTheSubTask_AndLaterStatesAreStale()
    {
        SubTaskState? state = null;
        Step(ref state, Envelopes.Of(Pushes.FwResult("SUCCESS")));

        var late = Step(ref state, Envelopes.Of(Pushes.FwState("3")));

        Assert.Equal((Verdicts.Stale, UpgradePhase.Succeeded), (late.Verdict, state!.Phase!.Value));
    }

    [Fact]
    public void Apply_AConflictingResult_IsRecorded_AndTheFirstResultStands()
    {
        SubTaskState? state = null;
        Step(ref state, Envelopes.Of(Pushes.SwResult("SUCCESS")));

        var conflict = Step(ref state, Envelopes.Of(Pushes.SwResult("FAIL")));

        Assert.Equal((Verdicts.ConflictingResult, UpgradePhase.Succeeded, "SUCCESS"), (conflict.Verdict, state!.Phase!.Value, state.Result));
        Assert.Equal(2, state.History.Count);
    }

    [Theory]
    [InlineData("otacreated")]
    [InlineData("RequestDownload")]
    public void Apply_AnUnknownState_IsRecorded_AndNeverErasesKnownState(string value)
    {
        SubTaskState? state = null;
        Step(ref state, Envelopes.Of(Pushes.SwState("downloaded")));

        var unknown = Step(ref state, Envelopes.Of(Pushes.SwState(value)));

        Assert.Equal((Verdicts.UnknownState, UpgradePhase.Downloaded, "downloaded"), (unknown.Verdict, state!.Phase!.Value, state.LastState));
        Assert.Equal(value, state.History[^1].Value);
    }

    [Fact]
    public void Apply_AnUnknownStateFirst_LeavesThePhaseEmpty_UntilAKnownOneArrives()
    {
        SubTaskState? state = null;
        Step(ref state, Envelopes.Of(Pushes.FwState("7")));
        Assert.Null(state!.Phase);

        Step(ref state, Envelopes.Of(Pushes.FwState("1")));

        Assert.Equal(UpgradePhase.Downloading, state!.Phase);
    }

    [Fact]
    public void Apply_AnUnknownResult_IsRecorded_AndSettlesNothing()
    {
        SubTaskState? state = null;
        Step(ref state, Envelopes.Of(Pushes.SwState("updating")));

        var unknown = Step(ref state, Envelopes.Of(Pushes.SwResult("PARTIAL")));

        Assert.Equal((Verdicts.UnknownResult, UpgradePhase.Updating), (unknown.Verdict, state!.Phase!.Value));
        Assert.Null(state.Result);
    }

    [Fact]
    public void Apply_KeepsTheHistoryBounded_AndCountsWhatItCuts()
    {
        var envelopes = Enumerable.Range(0, 30).Select(i => Envelopes.Of(Pushes.SwState("made-up-" + i)));

        var state = Run(envelopes, limit: 10);

        Assert.Equal(10, state.History.Count);
        Assert.Equal(20, state.HistoryDropped);
        Assert.Equal("made-up-29", state.History[^1].Value);
        Assert.Equal("made-up-20", state.History[0].Value);
    }

    [Fact]
    public void Apply_RemembersABoundedNumberOfSignatures()
    {
        var envelopes = Enumerable.Range(0, 500).Select(i => Envelopes.Of(Pushes.SwState("made-up-" + i)));

        var state = Run(envelopes, limit: 10);

        Assert.Equal(UpgradeStateMachine.MaxSeenSignatures, state.Seen.Count);
    }

    [Fact]
    public void Apply_OrdersTheHistoryByReceivedTime_NotByProcessingOrder()
    {
        var t0 = new DateTimeOffset(2026, 11, 26, 9, 0, 0, TimeSpan.Zero);
        var envelopes = new[] { "updating", "downloading", "idle", "downloaded" }
            .Select((s, i) => Envelopes.Of(Pushes.SwState(s), t0.AddSeconds(new[] { 3, 1, 4, 2 }[i])));

        var state = Run(envelopes);

        Assert.Equal(["downloading", "downloaded", "updating", "idle"], state.History.Select(h => h.Value));
    }

    [Fact]
    public void Apply_TracksFirstAndLastUpdate_ByReceivedTime_WhateverTheArrivalOrder()
    {
        var t0 = new DateTimeOffset(2026, 11, 26, 9, 0, 0, TimeSpan.Zero);
        var late = Envelopes.Of(Pushes.SwState("updating"), t0.AddMinutes(5));
        var early = Envelopes.Of(Pushes.SwState("downloading"), t0);

        var state = Run([late, early]);

        Assert.Equal((t0, t0.AddMinutes(5)), (state.FirstUpdate, state.LastUpdate));
    }

    [Fact]
    public void Apply_MovesLastUpdateForward_WithEachLaterPush_AndKeepsFirstUpdate()
    {
        var t0 = new DateTimeOffset(2026, 11, 26, 9, 0, 0, TimeSpan.Zero);
        SubTaskState? state = null;

        Step(ref state, Envelopes.Of(Pushes.SwState("downloading"), t0));
        Step(ref state, Envelopes.Of(Pushes.SwState("downloaded"), t0.AddMinutes(2)));
        var afterTwo = (state!.FirstUpdate, state.LastUpdate);
        Step(ref state, Envelopes.Of(Pushes.SwResult("SUCCESS"), t0.AddMinutes(7)));

        Assert.Equal((t0, t0.AddMinutes(2)), afterTwo);
        Assert.Equal((t0, t0.AddMinutes(7)), (state!.FirstUpdate, state.LastUpdate));
    }

    [Fact]
    public void Apply_MovesLastUpdateForward_EvenForAStalePush_ThatArrivedLater()
    {
        var t0 = new DateTimeOffset(2026, 11, 26, 9, 0, 0, TimeSpan.Zero);
        SubTaskState? state = null;
        Step(ref state, Envelopes.Of(Pushes.SwState("updating"), t0));

        var stale = Step(ref state, Envelopes.Of(Pushes.SwState("downloading"), t0.AddMinutes(1)));

        Assert.Equal(Verdicts.Stale, stale.Verdict);
        Assert.Equal((t0, t0.AddMinutes(1)), (state!.FirstUpdate, state.LastUpdate));
    }

    /// <summary>
    /// Any permutation of a lifecycle's pushes, with any queue redeliveries and platform re-pushes mixed in, ends in
    /// the same phase and result as the ordered sequence, and the history holds each distinct push exactly once.
    /// </summary>
    [Fact]
    public void Apply_AnyPermutationWithDuplicates_EndsLikeTheOrderedSequence()
    {
        var gen =
            from firmware in Gen.Bool
            from success in Gen.Bool
            from withResult in Gen.Bool
            from duplicates in Gen.Select(Gen.Int[0, 4], Gen.Bool).Array[0, 8]
            let lifecycle = Envelopes.Lifecycle(firmware, success ? "SUCCESS" : "FAIL", withResult: withResult)
            let arrivals = lifecycle.Concat(duplicates
                    .Where(d => d.Item1 < lifecycle.Count)
                    .Select(d => d.Item2 ? lifecycle[d.Item1] : Envelopes.Repush(lifecycle[d.Item1])))
                .ToArray()
            from shuffled in Gen.Shuffle(arrivals)
            select (lifecycle, shuffled);

        gen.Sample(sample =>
        {
            var (lifecycle, shuffled) = sample;
            var ordered = Run(lifecycle);
            var permuted = Run(shuffled);

            Assert.Equal(ordered.Phase, permuted.Phase);
            Assert.Equal(ordered.Result, permuted.Result);
            Assert.Equal(lifecycle.Count, permuted.History.Count);
            Assert.Equal(
                lifecycle.Select(e => UpgradeStateMachine.PushedValue(e.Notification)).Order(StringComparer.Ordinal),
                permuted.History.Select(h => h.Value).Order(StringComparer.Ordinal));
            Assert.Equal(shuffled.Length - lifecycle.Count, permuted.Duplicates);
        }, iter: 3000);
    }

    [Fact]
    public void Apply_KeepsExactlyTheHistoryLimit_WithoutCuttingAnything()
    {
        var state = Run(Enumerable.Range(0, 10).Select(i => Envelopes.Of(Pushes.SwState("made-up-" + i))), limit: 10);

        Assert.Equal((10, 0), (state.History.Count, state.HistoryDropped));
    }

    [Fact]
    public void Apply_PushesReceivedAtTheSameInstant_StayInProcessingOrder()
    {
        var at = new DateTimeOffset(2026, 11, 26, 9, 0, 0, TimeSpan.Zero);

        var state = Run(new[] { "downloading", "made-up", "downloaded" }.Select(v => Envelopes.Of(Pushes.SwState(v), at)));

        Assert.Equal(["downloading", "made-up", "downloaded"], state.History.Select(h => h.Value));
    }

    [Fact]
    public void Apply_TheCurrentStepAgain_IsStale_EvenOnceTheRememberedSignaturesAreFull()
    {
        SubTaskState? state = null;
        Step(ref state, Envelopes.Of(Pushes.SwState("downloading")));
        foreach (var i in Enumerable.Range(0, UpgradeStateMachine.MaxSeenSignatures))
        {
            Step(ref state, Envelopes.Of(Pushes.SwState("made-up-" + i)));
        }

        var again = Step(ref state, Envelopes.Of(Pushes.SwState("downloaded")));
        var same = Step(ref state, Envelopes.Of(Pushes.SwState("downloaded")));

        Assert.Equal(Verdicts.Advanced, again.Verdict);
        Assert.Equal((Verdicts.Stale, false), (same.Verdict, same.IsDuplicate));
        Assert.False(state!.SkippedSteps);
    }

    [Fact]
    public void Apply_RemembersSignaturesInTheirStoredForm()
    {
        // Stored with the sub-task: a later version must recognise the signatures an earlier one wrote.
        var state = Run([Envelopes.Of(Pushes.FwState("1")), Envelopes.Of(Pushes.SwState("made-up")), Envelopes.Of(Pushes.SwResult("success"))]);

        Assert.Equal(["state:downloading", "state?made-up", "result:SUCCESS"], state.Seen);
    }

    [Theory]
    [InlineData(NotifyTypes.SwUpgradeStateChange, "swUpgradeState", "downloaded")]
    [InlineData(NotifyTypes.FwUpgradeStateChange, "step", "2")]
    [InlineData(NotifyTypes.SwUpgradeResult, "swUpgradeResult", "FAIL")]
    [InlineData(NotifyTypes.FwUpgradeResult, "status", "SUCCESS")]
    public void PushedValue_IsTheFieldEachTypeCarries_OrEmptyWithoutIt(string notifyType, string field, string value)
    {
        var notification = Pushes.Of(notifyType);
        notification[field] = value;
        var parsed = Envelopes.Of(notification).Notification;

        Assert.Equal(value, UpgradeStateMachine.PushedValue(parsed));
        Assert.Equal("", UpgradeStateMachine.PushedValue(parsed with
        {
            SwUpgradeState = null,
            Step = null,
            SwUpgradeResult = null,
            Status = null,
        }));
    }
}
