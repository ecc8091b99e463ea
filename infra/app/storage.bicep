// Storage account for the Functions host, the deployment package, the notifications and events queues and the state
// table.
// Shared-key access is disabled: every client (the app, the deploying user) authenticates with Entra ID.
@description('Name of the storage account.')
param name string

@description('Azure region.')
param location string

@description('Tags for the account.')
param tags object = {}

@description('Blob container that holds the Flex Consumption deployment package.')
param deploymentContainerName string

@description('Queue the receiver writes notifications to (NotificationsQueueName).')
param notificationsQueueName string

@description('Queue the processor publishes settled-sub-task events to (Events__QueueName).')
param eventsQueueName string

@description('Table that holds the upgrade state (Upgrades__TableName).')
param stateTableName string

resource storage 'Microsoft.Storage/storageAccounts@2025-01-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }

  resource blobService 'blobServices' = {
    name: 'default'

    resource deploymentContainer 'containers' = {
      name: deploymentContainerName
      properties: {
        publicAccess: 'None'
      }
    }
  }

  resource queueService 'queueServices' = {
    name: 'default'

    resource notificationsQueue 'queues' = {
      name: notificationsQueueName
    }

    resource poisonQueue 'queues' = {
      name: '${notificationsQueueName}-poison'
    }

    resource eventsQueue 'queues' = {
      name: eventsQueueName
    }
  }

  resource tableService 'tableServices' = {
    name: 'default'

    resource stateTable 'tables' = {
      name: stateTableName
    }
  }
}

output name string = storage.name
output blobEndpoint string = storage.properties.primaryEndpoints.blob
output queueEndpoint string = storage.properties.primaryEndpoints.queue
output tableEndpoint string = storage.properties.primaryEndpoints.table
