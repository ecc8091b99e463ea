using Microsoft.Extensions.DependencyInjection;
using Polly;

namespace SwUpgrade.Cli.Platform;

/// <summary>Registers <see cref="HuaweiIotPlatformClient"/> with IHttpClientFactory and the resilience handler.</summary>
public static class PlatformServiceCollectionExtensions
{
    public const string HttpClientName = "HuaweiIotPlatform";

    public static IServiceCollection AddHuaweiIotPlatformClient(this IServiceCollection services, PlatformClientOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        services.AddSingleton(options);
        var tls = new Lazy<PlatformTls>(() => new PlatformTls(options));
        services.AddHttpClient(HttpClientName, c => c.Timeout = options.RequestTimeout)
            .ConfigurePrimaryHttpMessageHandler(() => tls.Value.CreateHandler())
            .AddResilienceHandler("platform-throttling", b => b.AddRetry(HuaweiIotPlatformClient.CreateRetryOptions(options)));
        services.AddSingleton(sp => new HuaweiIotPlatformClient(
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName), options, timeProvider));
        return services;
    }
}
