using SwUpgradeFunc.Notifications;

namespace SwUpgradeFunc.Upgrades;

/// <summary>The outcome of applying one push: the new state, the verdict, and the phase change if any.</summary>
public sealed record Transition(SubTaskState State, string Verdict, bool IsDuplicate, UpgradePhase? From, UpgradePhase? To)
{
    public bool PhaseChanged => From != To;
}

/// <summary>
/// Applies pushes to a sub-task's state. Pushes carry no timestamp and may arrive twice or out of order, so the
/// rules only ever move forward: see the lifecycle table in the README.
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
            Kind = IsFirmware(n.NotifyType) ? "firmware" : "software",
            FirstUpdate = envelope.ReceivedAt,
            LastUpdate = envelope.ReceivedAt,
        };
        var from = state.Phase;
        var signature = Signature(n);

        if (state.History.Exists(h => h.EnvelopeId == envelope.Id) || state.Seen.Contains(signature))
        {
            state.Duplicates++;
            return new Transition(state, "duplicate", IsDuplicate: true, from, from);
        }

        if (state.Seen.Count < MaxSeenSignatures)
        {
            state.Seen.Add(signature);
        }

        var verdict = IsResult(n.NotifyType) ? ApplyResult(state, n, envelope.ReceivedAt) : ApplyState(state, n);

        // Ordered by the time the receiver took each push, whatever order the queue delivered them in.
        var at = state.History.FindLastIndex(h => h.ReceivedAt <= envelope.ReceivedAt) + 1;
        state.History.Insert(at, new HistoryEntry(envelope.Id, envelope.ReceivedAt, n.NotifyType, PushedValue(n), verdict));
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

    /// <summary>The lifecycle step a state push names, or null for a value outside the contract.</summary>
    public static UpgradePhase? StepOf(UpgradeNotification n) => n.NotifyType switch
    {
        NotifyTypes.SwUpgradeStateChange => n.SwUpgradeState switch
        {
            "downloading" => UpgradePhase.Downloading,
            "downloaded" => UpgradePhase.Downloaded,
            "updating" => UpgradePhase.Updating,
            "idle" => UpgradePhase.Idle,
            _ => null,
        },
        NotifyTypes.FwUpgradeStateChange => n.Step?.Trim() switch
        {
            "1" => UpgradePhase.Downloading,
            "2" => UpgradePhase.Downloaded,
            "3" => UpgradePhase.Updating,
            "0" => UpgradePhase.Idle,
            _ => null,
        },
        _ => null,
    };

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
        UpgradePhase? settled = value.ToUpperInvariant() switch
        {
            "SUCCESS" => UpgradePhase.Succeeded,
            "FAIL" => UpgradePhase.Failed,
            _ => null,
        };
        if (settled is null)
        {
            return Verdicts.UnknownResult;
        }

        if (state.Result is not null)
        {
            return Verdicts.ConflictingResult;
        }

        state.Phase = settled;
        state.Result = value.ToUpperInvariant();
        state.AppId = n.AppId;
        state.CurVersion = n.CurVersion;
        state.TargetVersion = n.TargetVersion;
        state.SourceVersion = n.SourceVersion;
        state.UpgradeTime = n.UpgradeTime;
        state.ResultDesc = n.ResultDesc ?? n.StatusDesc;
        state.ErrorCode = n.ErrorCode;
        state.SettledAt = receivedAt;
        return Verdicts.Settled;
    }

    private static bool IsFirmware(string notifyType) =>
        notifyType is NotifyTypes.FwUpgradeStateChange or NotifyTypes.FwUpgradeResult;

    public static bool IsResult(string notifyType) =>
        notifyType is NotifyTypes.SwUpgradeResult or NotifyTypes.FwUpgradeResult;

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
    private static string Signature(UpgradeNotification n) => IsResult(n.NotifyType)
        ? "result:" + PushedValue(n).ToUpperInvariant()
        : StepOf(n) is { } step ? "state:" + step.Name() : "state?" + PushedValue(n);
}
