using Microsoft.Extensions.DependencyInjection;
using SwUpgradeFunc.Tests.Functions;

namespace SwUpgradeFunc.Tests.TestSupport;

/// <summary>
/// The app behind Kestrel over the shared Azurite, for tests of the status API and the clients that call it: a push
/// queue and an upgrades table of its own (named after <c>name</c>, so a table left behind tells which tests made it),
/// and no event queue, so nothing is published.
/// </summary>
internal static class StatusApiHost
{
    public static Dictionary<string, string?> Settings(string name)
    {
        var settings = MessageReceiverIntegrationTests.Settings(AzuriteServer.ConnectionString, AzuriteServer.NewName($"{name}-"));
        settings["Upgrades:TableName"] = AzuriteServer.NewName(name);
        settings["Events:QueueName"] = "";
        return settings;
    }

    public static Task<FunctionsTestHost> StartAsync(string name, Action<IServiceCollection>? configureServices = null) =>
        FunctionsTestHost.StartAsync(Settings(name), configureServices);
}
