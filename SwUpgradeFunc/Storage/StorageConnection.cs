using Azure.Core;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Configuration;

namespace SwUpgradeFunc.Storage;

/// <summary>
/// Builds the storage clients from the same settings the queue trigger binding reads (Connection = <see cref="Name"/>):
/// a connection string in <c>SwUpgradeStorage</c> locally, or identity-based <c>SwUpgradeStorage__queueServiceUri</c>,
/// <c>__tableServiceUri</c>, <c>__credential</c> and <c>__clientId</c> in Azure.
/// </summary>
public static class StorageConnection
{
    public const string Name = "SwUpgradeStorage";

    public static QueueServiceClient CreateQueueServiceClient(
        IConfiguration configuration, QueueClientOptions options, AzureComponentFactory factory)
    {
        // The trigger binding reads base64 (host.json messageEncoding); the sender must write the same.
        options.MessageEncoding = QueueMessageEncoding.Base64;
        var section = configuration.GetSection(Name);
        if (!string.IsNullOrWhiteSpace(section.Value))
        {
            return new QueueServiceClient(section.Value, options);
        }

        return new QueueServiceClient(ServiceUri(section, "queue"), Credential(section, factory), options);
    }

    public static TableServiceClient CreateTableServiceClient(
        IConfiguration configuration, TableClientOptions options, AzureComponentFactory factory)
    {
        var section = configuration.GetSection(Name);
        if (!string.IsNullOrWhiteSpace(section.Value))
        {
            return new TableServiceClient(section.Value, options);
        }

        return new TableServiceClient(ServiceUri(section, "table"), Credential(section, factory), options);
    }

    private static Uri ServiceUri(IConfigurationSection section, string service)
    {
        var explicitUri = section[$"{service}ServiceUri"];
        if (!string.IsNullOrWhiteSpace(explicitUri))
        {
            return new Uri(explicitUri);
        }

        var account = section["accountName"];
        if (!string.IsNullOrWhiteSpace(account))
        {
            return new Uri($"https://{account}.{service}.core.windows.net");
        }

        throw new InvalidOperationException(
            $"The storage connection '{Name}' is not configured: set {Name} to a connection string, or " +
            $"{Name}__{service}ServiceUri (or {Name}__accountName) with {Name}__credential=managedidentity and " +
            $"{Name}__clientId for a user-assigned identity.");
    }

    private static TokenCredential Credential(IConfigurationSection section, AzureComponentFactory factory) =>
        factory.CreateTokenCredential(section);
}
