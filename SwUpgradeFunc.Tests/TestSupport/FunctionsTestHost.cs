using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
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
/// </summary>
public sealed class FunctionsTestHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FunctionsTestHost(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
        Client = new HttpClient { BaseAddress = baseAddress };
    }

    public Uri BaseAddress { get; }

    public HttpClient Client { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>The queue trigger function, created as the worker would create it.</summary>
    public Task InvokeProcessNotification(string message, Microsoft.Azure.Functions.Worker.FunctionContext context) =>
        ActivatorUtilities.CreateInstance<ProcessNotificationFunction>(_app.Services).Run(message, context, CancellationToken.None);

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
#pragma warning restore ASP0016

        await app.StartAsync();
        var address = app.Urls.First();
        return new FunctionsTestHost(app, new Uri(address));
    }

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

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
