using SwUpgradeFunc.Notifications;
using SwUpgradeFunc.Platform;

namespace SwUpgradeFunc.Upgrades;

/// <summary>The outcome of applying one push: the new state, the verdict, and the phase change if any.</summary>
public sealed record Transition(SubTaskState State, string Verdict, bool IsDuplicate, UpgradePhase? From, UpgradePhase? To)
{
    public bool PhaseChanged => From != To;

    /// <summary>
    /// The sub-task got its first result now, from a result push or from reconciliation applying the platform's final
    /// status. A result replaced by reconciliation is not a new settlement.
    /// </summary>
    public bool Settles => !IsDuplicate && Verdict == Verdicts.Settled;

    /// <summary>A duplicate that repeats the result the sub-task is settled with.</summary>
    public bool RepeatsSettledResult { get; init; }

    /// <summary>
    /// Its settled event is to be published: it settles now, or repeats the result that settled it (a crash between
    /// the state commit and the publication leaves the message on the queue, and its redelivery is such a repeat; the
    /// event's id is the same, so subscribers see it once).
    /// </summary>
    public bool SettledEventDue => Settles || RepeatsSettledResult;
}

/// <summary>
/// Applies pushes to a sub-task's state. Pushes carry no timestamp and may arrive twice or out of order, so the
/// rules only ever move forward: see the lifecycle table in docs/design.md.
/// </summary>
public static class UpgradeStateMachine
{
    /// <summary>Distinct signatures remembered per sub-task; a device inventing state values cannot grow it further.</summary>
    public const int MaxSeenSignatures = 64;

    public static Transition Apply(SubTaskState? current, NotificationEnvelope envelope, int historyLimit)
    {
        var n = envelope.Notification;
        var state = current ?? new SubTaskState
        {
            OperationId = n.OperationId,
            SubOperationId = n.SubOperationId,
            DeviceId = n.DeviceId,
            AppId = n.AppId,
            Kind = KindOf(envelope),
            FirstUpdate = envelope.ReceivedAt,
            LastUpdate = envelope.ReceivedAt,
        };
        var from = state.Phase;
        var signature = envelope.IsReconciliation ? ReconciledSignature(envelope.Reconciliation!.Result!) : Signature(n);

        if (envelope.IsReconciliation && (state.History.Exists(h => h.EnvelopeId == envelope.Id) || state.Result == envelope.Reconciliation!.Result))
        {
            // Already applied, or the result is already the platform's: nothing to repair. Not a push, so not counted as one.
            return Duplicate(state, from, ResultOf(envelope));
        }

        if (state.History.Exists(h => h.EnvelopeId == envelope.Id) || state.Seen.Contains(signature))
        {
            state.Duplicates++;
            return Duplicate(state, from, ResultOf(envelope));
        }

        if (state.Seen.Count < MaxSeenSignatures)
        {
            state.Seen.Add(signature);
        }

        var verdict = envelope.IsReconciliation ? ApplyReconciliation(state, envelope.Reconciliation!, envelope.ReceivedAt)
            : NotifyTypes.IsResult(n.NotifyType) ? ApplyResult(state, n, envelope.ReceivedAt)
            : ApplyState(state, n);

        // Ordered by the time the receiver took each push, whatever order the queue delivered them in.
        var at = state.History.FindLastIndex(h => h.ReceivedAt <= envelope.ReceivedAt) + 1;
        state.History.Insert(at, envelope.IsReconciliation
            ? new HistoryEntry(envelope.Id, envelope.ReceivedAt, n.NotifyType, envelope.Reconciliation!.PlatformStatus, verdict,
                envelope.Reconciliation.PlatformTime)
            : new HistoryEntry(envelope.Id, envelope.ReceivedAt, n.NotifyType, PushedValue(n), verdict));
        if (state.History.Count > historyLimit)
        {
            var cut = state.History.Count - historyLimit;
            state.History.RemoveRange(0, cut);
            state.HistoryDropped += cut;
        }

        if (envelope.ReceivedAt < state.FirstUpdate)
        {
            state.FirstUpdate = envelope.ReceivedAt;
        }

        if (envelope.ReceivedAt > state.LastUpdate)
        {
            state.LastUpdate = envelope.ReceivedAt;
        }

        return new Transition(state, verdict, IsDuplicate: false, from, state.Phase);
    }

    /// <summary>A repeat changes nothing; it notes whether it repeats the result that settled the sub-task.</summary>
    private static Transition Duplicate(SubTaskState state, UpgradePhase? phase, string? result) =>
        new(state, "duplicate", IsDuplicate: true, phase, phase)
        {
            RepeatsSettledResult = result is not null && state.Result is { } settled && string.Equals(settled, result, StringComparison.OrdinalIgnoreCase),
        };

    /// <summary>The result a message carries (a result push's value, reconciliation's result), or null for a state push.</summary>
    private static string? ResultOf(NotificationEnvelope envelope) =>
        envelope.IsReconciliation ? envelope.Reconciliation!.Result
        : NotifyTypes.IsResult(envelope.Notification.NotifyType) ? PushedValue(envelope.Notification)
        : null;

    /// <summary>
    /// The kind of upgrade a message is about, for a new sub-task and a new task alike: a push says it by its type,
    /// reconciliation by the platform's task (unknown when the platform did not say).
    /// </summary>
    public static string KindOf(NotificationEnvelope envelope)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        return envelope.IsReconciliation
            ? envelope.Reconciliation?.Kind ?? UpgradeKinds.Unknown
            : UpgradeKinds.OfNotifyType(envelope.Notification.NotifyType);
    }

    /// <summary>The lifecycle step a state push names, or null for a value outside the contract.</summary>
    private static UpgradePhase? StepOf(UpgradeNotification n) => UpgradePhases.StepOf(n.NotifyType, PushedValue(n));

    private static string ApplyState(SubTaskState state, UpgradeNotification n)
    {
        if (StepOf(n) is not { } step)
        {
            return Verdicts.UnknownState;
        }

        if (state.Phase is { } phase && (phase.IsSettled() || phase >= step))
        {
            return Verdicts.Stale;
        }

        var skipped = (int)step > (int)(state.Phase ?? 0) + 1;
        state.Phase = step;
        state.LastState = PushedValue(n);
        if (skipped)
        {
            state.SkippedSteps = true;
            return Verdicts.AdvancedSkippingSteps;
        }

        return Verdicts.Advanced;
    }

    private static string ApplyResult(SubTaskState state, UpgradeNotification n, DateTimeOffset receivedAt)
    {
        var value = PushedValue(n);
        var settled = UpgradePhases.SettledBy(value);
        if (settled is null)
        {
            return Verdicts.UnknownResult;
        }

        if (state.Result is not null)
        {
            if (string.Equals(state.Result, value, StringComparison.OrdinalIgnoreCase) && state.Seen.Contains(ReconciledSignature(state.Result)))
            {
                // The push that reconciliation stood in for arrived after all: it agrees, and brings the details.
                CopyResultDetails(state, n);
                return Verdicts.Confirmed;
            }

            return Verdicts.ConflictingResult;
        }

        state.Phase = settled;
        state.Result = value.ToUpperInvariant();
        CopyResultDetails(state, n);
        state.SettledAt = receivedAt;
        return Verdicts.Settled;
    }

    private static void CopyResultDetails(SubTaskState state, UpgradeNotification n)
    {
        state.AppId = n.AppId;
        state.CurVersion = n.CurVersion;
        state.TargetVersion = n.TargetVersion;
        state.SourceVersion = n.SourceVersion;
        state.UpgradeTime = n.UpgradeTime;
        state.ResultDesc = n.ResultDesc ?? n.StatusDesc;
        state.ErrorCode = n.ErrorCode;
    }

    /// <summary>
    /// The platform's final status stands for the result push that never arrived: it settles the sub-task, and it wins
    /// over a contradicting result recorded here (the platform decides what happened to the device).
    /// </summary>
    private static string ApplyReconciliation(SubTaskState state, ReconciliationDetail detail, DateTimeOffset receivedAt)
    {
        var result = detail.Result!;
        var replacing = state.Result is not null;
        state.Phase = result == UpgradeResults.Success ? UpgradePhase.Succeeded : UpgradePhase.Failed;
        state.Result = result;
        state.SettledAt = detail.PlatformTime ?? receivedAt; // when the device finished, as the platform says
        if (replacing)
        {
            // They described the result that was replaced.
            state.ResultDesc = null;
            state.ErrorCode = null;
        }

        return replacing ? Verdicts.SettledReplacingResult : Verdicts.Settled;
    }

    private static string ReconciledSignature(string result) => "reconciled:" + result;

    /// <summary>The state or result value as the platform sent it.</summary>
    public static string PushedValue(UpgradeNotification n) => n.NotifyType switch
    {
        NotifyTypes.SwUpgradeStateChange => n.SwUpgradeState ?? "",
        NotifyTypes.FwUpgradeStateChange => n.Step ?? "",
        NotifyTypes.SwUpgradeResult => n.SwUpgradeResult ?? "",
        _ => n.Status ?? "",
    };

    /// <summary>
    /// What makes two pushes "the same": a known step by its phase (so a firmware "1" and a software "downloading"
    /// agree), anything else by its value. A result's signature ignores its descriptive fields.
    /// </summary>
    private static string Signature(UpgradeNotification n) => NotifyTypes.IsResult(n.NotifyType)
        ? "result:" + PushedValue(n).ToUpperInvariant()
        : StepOf(n) is { } step ? "state:" + step.Name() : "state?" + PushedValue(n);
}
