using System.Text.Json.Serialization;

namespace SwUpgradeFunc.Upgrades;

/// <summary>GET /api/upgrades/{operationId}/failures: the failed sub-tasks grouped by error code, most frequent first.</summary>
public sealed record FailureReasons(string OperationId, int Failed, IReadOnlyList<FailureReason> Reasons, OtherReasons? Other);

/// <summary>
/// One error code's failed sub-tasks (a null code: failed without one), the description most of them carry, their
/// share of the failed sub-tasks and the first device ids in id order.
/// </summary>
public sealed record FailureReason(string? ErrorCode, string? ResultDesc, int Count, double Share, IReadOnlyList<string> SampleDeviceIds);

/// <summary>The error codes beyond the listed ones, summed.</summary>
public sealed record OtherReasons(int ErrorCodes, int Count, double Share);

/// <summary>
/// GET /api/upgrades/{operationId}/versions: settled sub-tasks per source version, most settled first. <see cref="Settled"/>
/// counts every settled sub-task; <see cref="Uncounted"/> of them settled before versions were counted and are in no version yet.
/// </summary>
public sealed record SourceVersions(string OperationId, int Settled, IReadOnlyList<SourceVersionCount> Versions, OtherVersions? Other)
{
    public int Uncounted { get; init; }
}

/// <summary>One source version (null: the result carried none) with its settled sub-tasks and the share of them that failed.</summary>
public sealed record SourceVersionCount(string? SourceVersion, int Succeeded, int Failed, double FailureRate);

/// <summary>The source versions beyond the listed ones, summed.</summary>
public sealed record OtherVersions(int SourceVersions, int Succeeded, int Failed, double FailureRate);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(FailureReasons))]
[JsonSerializable(typeof(SourceVersions))]
internal sealed partial class BreakdownsJsonContext : JsonSerializerContext;
