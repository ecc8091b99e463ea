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
        app.MapGet("/api/upgrades/{operationId}", async (HttpContext context, string operationId) =>
        {
            var function = ActivatorUtilities.CreateInstance<UpgradeStatusFunctions>(context.RequestServices);
            var answer = (HttpAnswer)await function.GetUpgradeProgress(context.Request, operationId, context.RequestAborted);
            await answer.WriteAsync(context.Response);
        });
        app.MapGet("/api/devices/{deviceId}/upgrades", async (HttpContext context, string deviceId) =>
        {
            var function = ActivatorUtilities.CreateInstance<UpgradeStatusFunctions>(context.RequestServices);
            var answer = (HttpAnswer)await function.GetDeviceUpgrades(context.Request, deviceId, context.RequestAborted);
            await answer.WriteAsync(context.Response);
        });

        app.MapPost("/" + ReconciliationFunction.Route, async (HttpContext context, string operationId) =>
        {
            var function = ActivatorUtilities.CreateInstance<ReconciliationFunction>(context.RequestServices);
            var answer = (HttpAnswer)await function.Run(context.Request, operationId, context.RequestAborted);
            await answer.WriteAsync(context.Response);
        });

        await app.StartAsync();
        var address = app.Urls.First();
        return new FunctionsTestHost(app, new Uri(address));
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
