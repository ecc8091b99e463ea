using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using SwUpgradeFunc.Dashboard;
using SwUpgradeFunc.Http;

namespace SwUpgradeFunc.Functions;

/// <summary>
/// The operator page: GET /dashboard and its files under /dashboard/{asset}. Anonymous because they hold no data:
/// the page asks for a function key and reads everything through the status API.
/// </summary>
public sealed class DashboardFunctions
{
    public const string ShellRoute = "dashboard";
    public const string AssetRoute = "dashboard/{asset}";

    private readonly DashboardAssets _assets = DashboardAssets.Shared;

    [Function("Dashboard")]
    public IActionResult Shell(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ShellRoute)] HttpRequest request) =>
        Serve(request, DashboardAssets.ShellName);

    [Function("DashboardAsset")]
    public IActionResult Asset(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = AssetRoute)] HttpRequest request,
        string asset) =>
        // The shell has its own route; serving it here too would give the page a second address.
        Serve(request, asset == DashboardAssets.ShellName ? null : asset);

    private HttpAnswer Serve(HttpRequest request, string? name)
    {
        var asset = name is null ? null : _assets.Find(name);
        if (asset is null)
        {
            return HttpAnswer.Problem(ProblemType.UnknownAsset,
                "The dashboard has no file of this name.");
        }

        // Fixed names, not fingerprinted: the browser keeps a copy but revalidates it (ETag) so a deployment shows at once.
        var headers = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["Content-Security-Policy"] = DashboardAssets.ContentSecurityPolicy,
            ["Referrer-Policy"] = "no-referrer",
            ["Cache-Control"] = "no-cache",
            ["ETag"] = asset.ETag,
        };
        return request.Headers.IfNoneMatch.Contains(asset.ETag)
            ? HttpAnswer.Content(StatusCodes.Status304NotModified, null, null, headers)
            : HttpAnswer.Content(StatusCodes.Status200OK, asset.Content, asset.ContentType, headers);
    }
}
