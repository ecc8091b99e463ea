using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace SwUpgradeFunc.Benchmarks;

/// <summary>
/// The app's own DI registrations over in-memory settings, so a suite measures the code the Functions host runs
/// without starting the host.
/// </summary>
internal static class AppServices
{
    public static ServiceProvider Build(IDictionary<string, string?> settings, Action<IServiceCollection>? configure = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSwUpgradeFunc(configuration);
        configure?.Invoke(services);
        return services.BuildServiceProvider();
    }
}
