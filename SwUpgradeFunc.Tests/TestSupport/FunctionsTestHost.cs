using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SwUpgradeFunc.Functions;

namespace SwUpgradeFunc.Tests.TestSupport;

/// <summary>
/// Runs the function classes in-process behind Kestrel on 127.0.0.1 with the app's own service registrations
/// (<see cref="ServiceCollectionExtensions.AddSwUpgradeFunc"/>). The Functions host cannot run here, so this stands in
/// for its HTTP routing; the routes and methods themselves are asserted against functions.metadata separately.
/// Like the host, it asks for a function key on every route that functions.metadata does not declare anonymous
/// (401 without the key); <see cref="Client"/> sends it.
/// </summary>
public sealed class FunctionsTestHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly List<HttpClient> _clients = [];

    /// <summary>The header the Functions host reads a function key from (the query's <c>code</c> works too).</summary>
    public const string KeyHeader = "x-functions-key";

    private FunctionsTestHost(WebApplication app, Uri baseAddress, string functionKey)
    {
        _app = app;
        BaseAddress = baseAddress;
        FunctionKey = functionKey;
        Client = new HttpClient { BaseAddress = baseAddress };
        Client.DefaultRequestHeaders.Add(KeyHeader, functionKey);
    }

    /// <summary>The one function key this host accepts.</summary>
    public string FunctionKey { get; }

    public Uri BaseAddress { get; }

    public HttpClient Client { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>A client that sends no function key, as a browser opening the page would; disposed with the host.</summary>
    public HttpClient CreateClientWithoutKey()
    {
        var client = new HttpClient { BaseAddress = BaseAddress };
        _clients.Add(client);
        return client;
    }

    /// <summary>The queue trigger function, created as the worker would create it.</summary>
    public Task InvokeProcessNotification(Azure.Storage.Queues.Models.QueueMessage message) =>
        ActivatorUtilities.CreateInstance<ProcessNotificationFunction>(_app.Services).Run(message, CancellationToken.None);

    public static async Task<FunctionsTestHost> StartAsync(
        IDictionary<string, string?> settings, Action<IServiceCollection>? configureServices = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        builder.Services.AddSwUpgradeFunc(builder.Configuration);
        configureServices?.Invoke(builder.Services);

        var app = builder.Build();
        var functionKey = Guid.NewGuid().ToString("N");
        var anonymousRoutes = AnonymousRoutes();
        app.Use(async (context, next) =>
        {
            var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText?.TrimStart('/');
            if (route is not null && !anonymousRoutes.Contains(route) && !HasKey(context.Request, functionKey))
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                return;
            }

            await next(context);
        });
        app.MapPost("/" + MessageReceiverFunction.Route, async (HttpContext context) =>
        {
            var function = ActivatorUtilities.CreateInstance<MessageReceiverFunction>(context.RequestServices);
            var answer = (HttpAnswer)await function.Run(context.Request, context.RequestAborted);
            await answer.WriteAsync(context.Response);
        });
#pragma warning disable ASP0016 // The analyzer takes the function's Task<IActionResult> for the handler's result; Status writes it.
        app.MapGet("/api/upgrades", (HttpContext context) =>
            Status(context, f => f.ListUpgrades(context.Request, context.RequestAborted)));
        app.MapGet("/api/upgrades/{operationId}", (HttpContext context, string operationId) =>
            Status(context, f => f.GetUpgradeProgress(context.Request, operationId, context.RequestAborted)));
        app.MapGet("/api/upgrades/{operationId}/subtasks", (HttpContext context, string operationId) =>
            Status(context, f => f.ListUpgradeSubTasks(context.Request, operationId, context.RequestAborted)));
        app.MapGet("/api/upgrades/{operationId}/subtasks.csv", (HttpContext context, string operationId) =>
            Status(context, f => f.ExportUpgradeSubTasksCsv(context.Request, operationId, context.RequestAborted)));
        app.MapGet("/api/devices/{deviceId}/upgrades", (HttpContext context, string deviceId) =>
            Status(context, f => f.GetDeviceUpgrades(context.Request, deviceId, context.RequestAborted)));
        app.MapGet("/api/upgrades/{operationId}/failures", (HttpContext context, string operationId) =>
            Insight(context, f => f.GetUpgradeFailureReasons(context.Request, operationId, context.RequestAborted)));
        app.MapGet("/api/upgrades/{operationId}/versions", (HttpContext context, string operationId) =>
            Insight(context, f => f.GetUpgradeSourceVersions(context.Request, operationId, context.RequestAborted)));
#pragma warning restore ASP0016
        app.MapGet("/api/upgrades/{operationId}/timeline", async (HttpContext context, string operationId) =>
        {
            var function = ActivatorUtilities.CreateInstance<UpgradeTimelineFunction>(context.RequestServices);
            var answer = (HttpAnswer)await function.GetUpgradeTimeline(context.Request, operationId, context.RequestAborted);
            await answer.WriteAsync(context.Response);
        });

        app.MapPost("/" + ReconciliationFunction.Route, async (HttpContext context, string operationId) =>
        {
            var function = ActivatorUtilities.CreateInstance<ReconciliationFunction>(context.RequestServices);
            var answer = (HttpAnswer)await function.Run(context.Request, operationId, context.RequestAborted);
            await answer.WriteAsync(context.Response);
        });
        app.MapDelete("/api/upgrades/{operationId}", async (HttpContext context, string operationId) =>
        {
            var function = ActivatorUtilities.CreateInstance<TaskDeletionFunction>(context.RequestServices);
            var answer = (HttpAnswer)await function.Run(context.Request, operationId, context.RequestAborted);
            await answer.WriteAsync(context.Response);
        });
        app.MapGet("/" + DashboardFunctions.ShellRoute, async (HttpContext context) =>
        {
            var answer = (HttpAnswer)new DashboardFunctions().Shell(context.Request);
            await answer.WriteAsync(context.Response);
        });
        app.MapGet("/" + DashboardFunctions.AssetRoute, async (HttpContext context, string asset) =>
        {
            var answer = (HttpAnswer)new DashboardFunctions().Asset(context.Request, asset);
            await answer.WriteAsync(context.Response);
        });

        await app.StartAsync();
        var address = app.Urls.First();
        return new FunctionsTestHost(app, new Uri(address), functionKey);
    }

    private static HashSet<string> AnonymousRoutes() =>
    [
        .. Functions.FunctionsMetadataTests.Metadata()
            .SelectMany(f => f!["bindings"]!.AsArray())
            .Where(b => b!["type"]!.GetValue<string>() == "httpTrigger" && b["authLevel"]!.GetValue<string>() == "Anonymous")
            .Select(b => b!["route"]!.GetValue<string>()),
    ];

    private static bool HasKey(HttpRequest request, string functionKey) =>
        request.Headers[KeyHeader].ToString() == functionKey || request.Query["code"].ToString() == functionKey;

    private static async Task Status(HttpContext context, Func<UpgradeStatusFunctions, Task<Microsoft.AspNetCore.Mvc.IActionResult>> call)
    {
        var function = ActivatorUtilities.CreateInstance<UpgradeStatusFunctions>(context.RequestServices);
        switch (await call(function))
        {
            case HttpAnswer answer:
                await answer.WriteAsync(context.Response);
                break;
            case CsvAnswer csv:
                await csv.WriteAsync(context.Response);
                break;
            case var other:
                throw new InvalidOperationException($"Unexpected answer {other.GetType().Name}");
        }
    }

    private static async Task Insight(HttpContext context, Func<UpgradeInsightFunctions, Task<Microsoft.AspNetCore.Mvc.IActionResult>> call)
    {
        var function = ActivatorUtilities.CreateInstance<UpgradeInsightFunctions>(context.RequestServices);
        await ((HttpAnswer)await call(function)).WriteAsync(context.Response);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        _clients.ForEach(client => client.Dispose());
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
