using Microsoft.Extensions.DependencyInjection;

namespace SwUpgradeFunc.Platform;

/// <summary>Registers <see cref="HuaweiIotPlatformClient"/> with IHttpClientFactory.</summary>
public static class PlatformServiceCollectionExtensions
{
    public const string HttpClientName = "HuaweiIotPlatform";

    /// <summary>
    /// The named HttpClient carries the TLS settings and the per-attempt timeout; the client itself retries throttled
    /// calls (a retry must carry the token that is current then, which a message handler cannot know).
    /// </summary>
    public static IServiceCollection AddHuaweiIotPlatformClient(this IServiceCollection services, PlatformClientOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        services.AddSingleton(options);
        var tls = new Lazy<PlatformTls>(() => new PlatformTls(options));
        services.AddHttpClient(HttpClientName, c => c.Timeout = options.RequestTimeout)
            .ConfigurePrimaryHttpMessageHandler(() => tls.Value.CreateHandler());
        services.AddSingleton(sp => new HuaweiIotPlatformClient(
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName), options, timeProvider));
        return services;
    }
}
