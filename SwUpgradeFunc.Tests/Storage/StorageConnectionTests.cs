using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SwUpgradeFunc.Storage;

namespace SwUpgradeFunc.Tests.Storage;

public class StorageConnectionTests
{
    private static AzureComponentFactory Factory()
    {
        var services = new ServiceCollection();
        services.AddAzureClientsCore();
        return services.BuildServiceProvider().GetRequiredService<AzureComponentFactory>();
    }

    private static IConfiguration Config(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build();

    [Fact]
    public void Clients_UseTheIdentityBasedServiceUris_TheTriggerBindingReads()
    {
        var config = Config(new()
        {
            ["SwUpgradeStorage:queueServiceUri"] = "https://acct.queue.core.windows.net",
            ["SwUpgradeStorage:tableServiceUri"] = "https://acct.table.core.windows.net",
            ["SwUpgradeStorage:credential"] = "managedidentity",
            ["SwUpgradeStorage:clientId"] = "00000000-0000-0000-0000-000000000001",
        });

        var queues = StorageConnection.CreateQueueServiceClient(config, new QueueClientOptions(), Factory());
        var tables = StorageConnection.CreateTableServiceClient(config, new TableClientOptions(), Factory());

        Assert.Equal(new Uri("https://acct.queue.core.windows.net"), queues.Uri);
        Assert.Equal(new Uri("https://acct.table.core.windows.net"), tables.Uri);
        Assert.Equal("acct", queues.AccountName);
    }

    [Fact]
    public void Clients_DeriveServiceUris_FromAnAccountName()
    {
        var config = Config(new() { ["SwUpgradeStorage:accountName"] = "acct2", ["SwUpgradeStorage:credential"] = "managedidentity" });

        var queues = StorageConnection.CreateQueueServiceClient(config, new QueueClientOptions(), Factory());

        Assert.Equal(new Uri("https://acct2.queue.core.windows.net"), queues.Uri);
    }

    [Fact]
    public void QueueClient_AlwaysWritesBase64_AsTheTriggerExpects()
    {
        var options = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None };

        StorageConnection.CreateQueueServiceClient(Config(new() { ["SwUpgradeStorage"] = "UseDevelopmentStorage=true" }), options, Factory());

        Assert.Equal(QueueMessageEncoding.Base64, options.MessageEncoding);
    }

    [Fact]
    public void Clients_FailWithAMessageNamingTheSettings_WhenNothingIsConfigured()
    {
        var ex = Assert.Throws<InvalidOperationException>(() =>
            StorageConnection.CreateQueueServiceClient(Config(new()), new QueueClientOptions(), Factory()));

        Assert.Contains("SwUpgradeStorage__queueServiceUri", ex.Message, StringComparison.Ordinal);
        Assert.Contains("SwUpgradeStorage__credential", ex.Message, StringComparison.Ordinal);
    }
}
