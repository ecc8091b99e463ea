using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Serialization;

namespace SwUpgradeFunc.Upgrades;

/// <summary>The length of one interval of a timeline: a minute, an hour or a UTC day (ISO 8601 as the API takes it).</summary>
public sealed record TimelineInterval(string Name, int Minutes)
{
    public static readonly TimelineInterval Minute = new("PT1M", 1);
    public static readonly TimelineInterval Hour = new("PT1H", 60);
    public static readonly TimelineInterval Day = new("P1D", 1440);

    public static IReadOnlyList<TimelineInterval> All { get; } = [Minute, Hour, Day];

    public static bool TryParse(string? text, [NotNullWhen(true)] out TimelineInterval? interval)
    {
        interval = All.FirstOrDefault(i => string.Equals(i.Name, text, StringComparison.Ordinal));
        return interval is not null;
    }
}

/// <summary>One interval of a timeline: sub-tasks that settled in it, by outcome, and pushes recorded in it.</summary>
public sealed record TimelinePoint(DateTimeOffset Start, int Succeeded, int Failed, int Pushes);

/// <summary>The recent settle rate the projection uses: settles in the window from <c>since</c> to now.</summary>
public sealed record TimelineRate(string Window, DateTimeOffset Since, int Settled, double PerHour);

/// <summary>
/// GET /api/upgrades/{operationId}/timeline: settles and pushes per interval from the task's first push (or, when
/// truncated, from the start of the last <see cref="TimelineQueries.MaxIntervals"/> intervals) to now, the task's counts,
/// the settles before the first interval, and the projected end (null when it cannot be projected).
/// </summary>
public sealed record TaskTimeline(
    string OperationId,
    string Interval,
    DateTimeOffset From,
    DateTimeOffset To,
    bool Truncated,
    int Total,
    int Succeeded,
    int Failed,
    int Unsettled,
    int SucceededBefore,
    int FailedBefore,
    TimelineRate Rate,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] DateTimeOffset? Eta,
    IReadOnlyList<TimelinePoint> Intervals);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(TaskTimeline))]
internal sealed partial class TimelineJsonContext : JsonSerializerContext;
