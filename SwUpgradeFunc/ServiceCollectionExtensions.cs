using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SwUpgradeFunc.Events;
using SwUpgradeFunc.Observability;
using SwUpgradeFunc.Receiving;
using SwUpgradeFunc.Reconciliation;
using SwUpgradeFunc.Storage;
using SwUpgradeFunc.Upgrades;

namespace SwUpgradeFunc;

public static class ServiceCollectionExtensions
{
    /// <summary>Everything the functions need, shared by Program.cs and the tests' in-process host.</summary>
    public static IServiceCollection AddSwUpgradeFunc(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ReceiverOptions>().Bind(configuration.GetSection(ReceiverOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ClientCertificateOptions>().Bind(configuration.GetSection(ClientCertificateOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ClientCertificateOptions>, ClientCertificateOptionsValidation>());
        // The queue name is a top-level key (NotificationQueueOptions.QueueNameSetting), shared with the trigger.
        services.AddOptions<NotificationQueueOptions>().Bind(configuration)
            .ValidateDataAnnotations()
            .Validate(_ => configuration[NotificationQueueOptions.RetiredQueueNameSetting] is null,
                "Notifications__QueueName (Notifications:QueueName) is no longer read: set " +
                $"{NotificationQueueOptions.QueueNameSetting} instead, the setting the queue trigger binds.")
            .ValidateOnStart();
        services.AddOptions<UpgradesOptions>().Bind(configuration.GetSection(UpgradesOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();
        // The schedule is a top-level key (RetentionScheduleOptions.ScheduleSetting), shared with the timer's binding.
        services.AddOptions<RetentionScheduleOptions>().Bind(configuration).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ReconciliationOptions>().Bind(configuration.GetSection(ReconciliationOptions.Section))
            // The schedule is a top-level key (ReconciliationOptions.ScheduleSetting), shared with the timer's binding.
            .Configure(options => options.Schedule = configuration[ReconciliationOptions.ScheduleSetting] ?? options.Schedule)
            .ValidateDataAnnotations()
            .Validate(_ => configuration.GetSection(ReconciliationOptions.Section)["IntervalMinutes"] is null,
                $"{ReconciliationOptions.RetiredIntervalSetting} is no longer read: set {ReconciliationOptions.ScheduleSetting} " +
                $"(six-field CRON, e.g. {ReconciliationOptions.DefaultSchedule} for every 15 minutes) instead, the timer's own schedule.")
            .ValidateOnStart();

        // Not validated on start: without (usable) platform settings only reconciliation is off, never the receiver.
        services.AddOptions<PlatformOptions>().Bind(configuration.GetSection(PlatformOptions.Section));

        services.AddOptions<EventsOptions>().Bind(configuration.GetSection(EventsOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();

        services.AddAzureClients(clients =>
        {
            clients.AddClient<QueueServiceClient, QueueClientOptions>((options, _, provider) =>
                StorageConnection.CreateQueueServiceClient(configuration, options, provider.GetRequiredService<AzureComponentFactory>()));
            clients.AddClient<TableServiceClient, TableClientOptions>((options, _, provider) =>
                StorageConnection.CreateTableServiceClient(configuration, options, provider.GetRequiredService<AzureComponentFactory>()));
        });

        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<SwUpgradeMetrics>();
        services.TryAddSingleton<INotificationQueue, StorageNotificationQueue>();
        services.TryAddSingleton<ClientCertificateCheck>();
        services.TryAddSingleton<NotificationReceiver>();
        services.TryAddSingleton<UpgradeStateStore>();
        services.TryAddSingleton<IPoisonQueue, StoragePoisonQueue>();
        services.TryAddSingleton<ISettledEventPublisher, StorageSettledEventPublisher>();
        services.TryAddSingleton<NotificationProcessor>();
        services.TryAddSingleton<ReconciliationIntake>();
        services.TryAddSingleton<ReconciliationStateReader>();
        services.TryAddSingleton<PlatformClientProvider>();
        services.TryAddSingleton<ReconciliationBackOffs>();
        services.TryAddSingleton<TaskReconciler>();
        services.TryAddSingleton<TaskRetention>();
        services.AddHostedService<ReceiverStartupCheck>();
        services.AddHostedService<ClientCertificateStartupCheck>();
        return services;
    }
}
