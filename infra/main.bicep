// SwUpgradeFunc: Flex Consumption function app with a user-assigned managed identity, deployable with `azd up`.
// No secrets in settings: storage and telemetry use Entra ID, the platform secret is a Key Vault reference.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; names the resource group and seeds the resource names.')
param environmentName string

@minLength(1)
@description('Region of all resources (must offer the Flex Consumption plan).')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Principal id of the deploying user (azd: AZURE_PRINCIPAL_ID). Gets data roles for local runs. Empty: none.')
param principalId string = ''

@description('Principal type of principalId.')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param principalType string = 'User'

@description('Resource group name. Empty: rg-<environmentName>.')
param resourceGroupName string = ''

@description('Platform northbound API base URL, e.g. https://<host>:8743 (registration tool).')
param platformBaseUrl string = ''

@description('Platform appId. Also the default of Receiver__AllowedAppIds.')
param platformAppId string = ''

@secure()
@description('Platform app secret. Stored in Key Vault only; empty: no secret and no Key Vault reference.')
param platformAppSecret string = ''

@description('Comma-separated appIds the receiver accepts. Empty: platformAppId.')
param allowedAppIds string = ''

@description('Comma-separated push source addresses of the platform (IP or CIDR). Empty: the app is not IP-restricted.')
param pushSourceAddresses string = ''

@description('Comma-separated operator addresses (IP or CIDR) also allowed in when pushSourceAddresses is set.')
param operatorSourceAddresses string = ''

@description('History entries kept per upgrade (Upgrades__HistoryLimit).')
@minValue(10)
@maxValue(100)
param upgradesHistoryLimit int = 100

@description('Maximum number of Flex Consumption instances.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

var serviceName = 'SwUpgradeFunc'
var notificationsQueueName = 'swupgrade-notifications'
var stateTableName = 'swupgradestate'
var platformAppSecretName = 'platform-app-secret'
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
var functionAppName = 'func-swupgrade-${resourceToken}'
var deploymentContainerName = 'app-package-${resourceToken}'
var pushSources = filter(map(split(pushSourceAddresses, ','), a => trim(a)), a => !empty(a))
var operatorSources = filter(map(split(operatorSourceAddresses, ','), a => trim(a)), a => !empty(a))

resource rg 'Microsoft.Resources/resourceGroups@2025-04-01' = {
  name: !empty(resourceGroupName) ? resourceGroupName : 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'app/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: 'id-swupgrade-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-${resourceToken}'
    applicationInsightsName: 'appi-${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: 'st${resourceToken}'
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
    notificationsQueueName: notificationsQueueName
    stateTableName: stateTableName
  }
}

module keyVault 'app/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    name: 'kv-${resourceToken}'
    location: location
    tags: tags
    platformAppSecretName: platformAppSecretName
    platformAppSecret: platformAppSecret
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    keyVaultName: keyVault.outputs.name
    identityPrincipalId: identity.outputs.principalId
    userPrincipalId: principalId
    userPrincipalType: principalType
  }
}

module function 'app/function.bicep' = {
  name: 'function'
  scope: rg
  params: {
    name: functionAppName
    planName: 'plan-${resourceToken}'
    location: location
    tags: tags
    serviceName: serviceName
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    blobEndpoint: storage.outputs.blobEndpoint
    queueEndpoint: storage.outputs.queueEndpoint
    tableEndpoint: storage.outputs.tableEndpoint
    deploymentContainerName: deploymentContainerName
    applicationInsightsConnectionString: monitoring.outputs.connectionString
    notificationsQueueName: notificationsQueueName
    stateTableName: stateTableName
    upgradesHistoryLimit: upgradesHistoryLimit
    allowedAppIds: !empty(allowedAppIds) ? allowedAppIds : platformAppId
    platformBaseUrl: platformBaseUrl
    platformAppId: platformAppId
    platformAppSecretUri: keyVault.outputs.platformAppSecretUri
    hasPlatformAppSecret: !empty(platformAppSecret)
    pushSourceAddresses: pushSources
    operatorSourceAddresses: operatorSources
    maximumInstanceCount: maximumInstanceCount
  }
  // The identity must hold its roles before the host starts and resolves the Key Vault reference.
  dependsOn: [
    rbac
  ]
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = function.outputs.name
output AZURE_FUNCTION_HOST_NAME string = function.outputs.defaultHostName
output CALLBACK_URL string = 'https://${function.outputs.defaultHostName}/v1.0.0/messageReceiver'
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output SWUPGRADE_NOTIFICATIONS_QUEUE string = notificationsQueueName
output SWUPGRADE_STATE_TABLE string = stateTableName
