using System.Globalization;
using Microsoft.AspNetCore.Http;
using SwUpgradeFunc.Notifications;
using SwUpgradeFunc.Upgrades;

namespace SwUpgradeFunc.Functions;

/// <summary>The status API's query parameters, each checked on its own so that a 400 names every bad one.</summary>
public sealed partial record StatusQuery(int PageSize, string? ContinuationToken, SubTaskFilter Filter, TimeSpan StalledAfter)
{
    public static readonly TimeSpan MinStalledAfter = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan MaxStalledAfter = TimeSpan.FromDays(30);

    /// <summary>The receiver refuses longer error codes, so a longer one matches nothing and is a mistake.</summary>
    public const int MaxErrorCodeLength = 256;

    public static StatusQuery Parse(IQueryCollection query, int defaultPageSize, int maxPageSize, TimeSpan defaultStalledAfter,
        bool phaseAllowed, List<FieldError> errors)
    {
        var pageSize = defaultPageSize;
        var pageSizeText = query["pageSize"].ToString();
        if (pageSizeText.Length > 0 &&
            (!int.TryParse(pageSizeText, NumberStyles.None, CultureInfo.InvariantCulture, out pageSize) || pageSize < 1 || pageSize > maxPageSize))
        {
            errors.Add(new FieldError("pageSize", $"must be a whole number from 1 to {maxPageSize}"));
        }

        var filter = SubTaskFilter.All;
        var phase = query["phase"].ToString();
        if (phase.Length > 0 && (!phaseAllowed || !SubTaskFilter.TryParse(phase, out filter)))
        {
            errors.Add(new FieldError("phase", phaseAllowed
                ? $"must be one of {string.Join(", ", SubTaskFilter.Values)}"
                : "is not a parameter of this route"));
        }

        var errorCode = query["errorCode"].ToString();
        if (errorCode.Length > 0)
        {
            if (!phaseAllowed)
            {
                errors.Add(new FieldError("errorCode", "is not a parameter of this route"));
            }
            else if (errorCode.Length > MaxErrorCodeLength)
            {
                errors.Add(new FieldError("errorCode", $"must be at most {MaxErrorCodeLength} characters"));
            }
            else if (filter.WithErrorCode(errorCode) is { } failedWithCode)
            {
                filter = failedWithCode;
            }
            else
            {
                errors.Add(new FieldError("errorCode", "narrows the failed sub-tasks: leave phase out or set it to failed"));
            }
        }

        var stalledAfter = defaultStalledAfter;
        var stalledText = query["stalledAfter"].ToString();
        if (stalledText.Length > 0)
        {
            if (!TryParseDuration(stalledText, out stalledAfter))
            {
                errors.Add(new FieldError("stalledAfter", "must be an ISO 8601 duration such as PT30M, PT2H or P1D"));
            }
            else if (stalledAfter < MinStalledAfter || stalledAfter > MaxStalledAfter)
            {
                errors.Add(new FieldError("stalledAfter", "must be at least one minute (PT1M) and at most 30 days (P30D)"));
            }
        }

        var token = query["continuationToken"].ToString();
        return new StatusQuery(pageSize, token.Length == 0 ? null : token, filter, stalledAfter);
    }

    /// <summary>ISO 8601 days, hours, minutes and seconds (PnDTnHnMnS); years, months and signs have no place in a stall threshold.</summary>
    private static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = default;
        var match = DurationPattern().Match(text);
        if (!match.Success || text is "P" or "PT" || text.EndsWith('T'))
        {
            return false;
        }

        double Part(int group) => match.Groups[group].Success
            ? double.Parse(match.Groups[group].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture)
            : 0;

        var total = (Part(1) * 86_400) + (Part(2) * 3_600) + (Part(3) * 60) + Part(4);
        if (total > TimeSpan.MaxValue.TotalSeconds / 2)
        {
            return false;
        }

        duration = TimeSpan.FromSeconds(total);
        return true;
    }

    // [0-9], not \d: \d matches every Unicode digit (full-width, Arabic-Indic...), which the invariant parse then refuses.
    [System.Text.RegularExpressions.GeneratedRegex(@"^P(?:([0-9]{1,9})D)?(?:T(?:([0-9]{1,9})H)?(?:([0-9]{1,9})M)?(?:([0-9]{1,9}(?:\.[0-9]{1,7})?)S)?)?$")]
    private static partial System.Text.RegularExpressions.Regex DurationPattern();
}
