using System.Net.Http.Headers;

namespace SwUpgradeFunc.Http;

/// <summary>The one rule for a JSON request body, so that the push receiver and the operator's routes refuse the same things.</summary>
public static class JsonContentType
{
    /// <summary>Only application/json in UTF-8 is parsed: parameters and any letter case are fine, another charset is not.</summary>
    /// <param name="problem">Why the content type was refused, for the problem's detail; empty when accepted.</param>
    public static bool IsJson(string? contentType, out string problem)
    {
        if (string.IsNullOrWhiteSpace(contentType) || !MediaTypeHeaderValue.TryParse(contentType, out var media))
        {
            problem = "The request must have Content-Type application/json.";
            return false;
        }

        if (!string.Equals(media.MediaType, "application/json", StringComparison.OrdinalIgnoreCase))
        {
            problem = "The request must have Content-Type application/json.";
            return false;
        }

        var charset = media.CharSet?.Trim('"');
        if (charset is not null && !charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) &&
            !charset.Equals("utf8", StringComparison.OrdinalIgnoreCase))
        {
            problem = "Only the utf-8 charset is accepted for application/json.";
            return false;
        }

        problem = "";
        return true;
    }
}
