namespace SwUpgradeFunc.Platform;

/// <summary>How a sub-task differs between the platform and the state recorded from its pushes.</summary>
public enum SubTaskDifferenceKind
{
    /// <summary>The platform has the sub-task (past waiting); no push of it was ever recorded.</summary>
    UnknownHere,

    /// <summary>Settled (success or fail) on the platform; recorded here, but not settled.</summary>
    NotSettledHere,

    /// <summary>Settled on both sides with different results.</summary>
    SettledDifferently,
}

/// <summary>One sub-task that differs; <see cref="Repairable"/> when the platform's status is a result.</summary>
public sealed record SubTaskDifference(
    SubTaskDifferenceKind Kind,
    string SubOperationId,
    string? DeviceId,
    string PlatformStatus,
    DateTimeOffset? PlatformStopTime,
    string? PhaseHere)
{
    public bool Repairable => SubOperationStatuses.IsResult(PlatformStatus) && !string.IsNullOrEmpty(DeviceId);

    /// <summary>The kind as the CLI and its JSON spell it.</summary>
    public string KindName => Kind switch
    {
        SubTaskDifferenceKind.UnknownHere => "unknown-here",
        SubTaskDifferenceKind.NotSettledHere => "not-settled-here",
        _ => "settled-differently",
    };
}

/// <summary>
/// The platform's sub-tasks of one upgrade task next to the phases recorded here (by subOperationId; the phase names
/// of the status API: succeeded and failed are settled).
/// </summary>
public sealed record UpgradeTaskComparison(
    string OperationId,
    int OnPlatform,
    int KnownHere,
    int SettledAlike,
    int PendingAlike,
    int SettledHereOnly,
    int UnknownToPlatform,
    IReadOnlyList<SubTaskDifference> Differences)
{
    private static readonly string Succeeded = UpgradePhase.Succeeded.Name();
    private static readonly string Failed = UpgradePhase.Failed.Name();

    public IEnumerable<SubTaskDifference> Repairable => Differences.Where(d => d.Repairable);

    /// <summary>
    /// Settled alike: the same result on both sides. Pending alike: not settled on either side (or still waiting on the
    /// platform and unknown here, as no push is due yet). Settled here only: the platform has not settled it yet.
    /// </summary>
    public static UpgradeTaskComparison Compare(string operationId, IEnumerable<SubOperation> platform, IReadOnlyDictionary<string, string?> phasesHere)
    {
        ArgumentNullException.ThrowIfNull(platform);
        ArgumentNullException.ThrowIfNull(phasesHere);
        var differences = new List<SubTaskDifference>();
        var onPlatform = new HashSet<string>(StringComparer.Ordinal);
        int settledAlike = 0, pendingAlike = 0, settledHereOnly = 0;
        foreach (var sub in platform)
        {
            // A plain local, not a pattern variable: a mutated condition must still compile, or the mutation
            // tester gives up on the whole method.
            var id = sub.SubOperationId;
            if (string.IsNullOrEmpty(id) || !onPlatform.Add(id))
            {
                continue;
            }

            var status = sub.Status ?? "";
            var expected = UpgradePhases.SettledBy(SubOperationStatuses.ToResult(status))?.Name();
            var known = phasesHere.TryGetValue(id, out var phase);
            var settledHere = phase == Succeeded || phase == Failed;
            SubTaskDifferenceKind? kind = null;
            if (!known)
            {
                if (string.Equals(status, SubOperationStatuses.Wait, StringComparison.OrdinalIgnoreCase))
                {
                    pendingAlike++;
                }
                else
                {
                    kind = SubTaskDifferenceKind.UnknownHere;
                }
            }
            else if (expected is null && settledHere)
            {
                settledHereOnly++;
            }
            else if (expected is null)
            {
                pendingAlike++;
            }
            else if (phase == expected)
            {
                settledAlike++;
            }
            else
            {
                kind = settledHere ? SubTaskDifferenceKind.SettledDifferently : SubTaskDifferenceKind.NotSettledHere;
            }

            if (kind is { } k)
            {
                differences.Add(new SubTaskDifference(k, id, sub.DeviceId, status, PlatformTime.Parse(sub.StopTime), known ? phase : null));
            }
        }

        var knownHere = phasesHere.Keys.Count(onPlatform.Contains);
        return new UpgradeTaskComparison(operationId, onPlatform.Count, knownHere, settledAlike, pendingAlike, settledHereOnly,
            phasesHere.Count - knownHere, [.. differences.OrderBy(d => d.Kind).ThenBy(d => d.SubOperationId, StringComparer.Ordinal)]);
    }
}
