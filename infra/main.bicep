// SwUpgradeFunc: Flex Consumption function app with a user-assigned managed identity, deployable with `azd up`.
// No secrets in settings: storage and telemetry use Entra ID, the platform secret is a Key Vault reference.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; names the resource group and seeds the resource names.')
param environmentName string

// The regions that offer the Flex Consumption plan, as listed by the official azd quickstart template
// (Azure-Samples/functions-quickstart-dotnet-azd); a wrong region fails when the parameter is entered, not halfway
// through a deployment. `az functionapp list-flexconsumption-locations` shows the current list; add a region here
// when it appears there.
@minLength(1)
@description('Region of all resources (must offer the Flex Consumption plan).')
@allowed([
  'australiaeast'
  'centralindia'
  'centralus'
  'eastasia'
  'eastus'
  'eastus2'
  'francecentral'
  'germanywestcentral'
  'northcentralus'
  'northeurope'
  'southcentralus'
  'southeastasia'
  'swedencentral'
  'uksouth'
  'westcentralus'
  'westeurope'
  'westus2'
])
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

@description('Minutes without a push after which an unsettled sub-task counts as stalled (Upgrades__StalledAfterMinutes).')
@minValue(1)
@maxValue(43200)
param stalledAfterMinutes int = 60

@description('Failure rate, a decimal between 0 and 1, above which a task is flagged and the alert fires (Upgrades__FailureRateThreshold).')
@minLength(1)
param failureRateThreshold string = '0.1'

@description('Settled sub-tasks needed before the failure rate counts, for the app and the alert (Upgrades__FailureRateMinSettled).')
@minValue(1)
param failureRateMinSettled int = 20

@description('E-mail address the failure-rate alert notifies. Empty: no action group; the alert shows in Azure Monitor only.')
param alertEmail string = ''

@description('Always-ready instances for the HTTP functions (the callback). 1 keeps cold starts off the platform\'s 15 s budget; 0: none (scale from zero, cheapest).')
@minValue(0)
@maxValue(10)
param alwaysReadyHttpInstances int = 1

@description('Maximum number of Flex Consumption instances.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Client certificate check on the callback (Receiver__ClientCertificate__Mode): off, or required (the front end asks callers for a certificate and forwards it; the app verifies it).')
@allowed([
  'off'
  'required'
])
param clientCertificateMode string = 'off'

@description('How the front end asks for a certificate when the check is required. Optional: asked, never refused by the front end (the app answers 403).')
@allowed([
  'Optional'
  'OptionalInteractiveUser'
])
param clientCertMode string = 'Optional'

@description('Paths the front end never asks a certificate for (the status API and the operator page, which keep their function keys).')
param clientCertExclusionPaths string = '/api;/dashboard'

@secure()
@description('PEM of the CA(s) the platform\'s certificate must chain to. Stored in Key Vault; the app reads it through a Key Vault reference.')
param clientCertificateCa string = ''

@description('Comma-separated SHA-256 thumbprints of the platform certificates accepted (Receiver__ClientCertificate__Thumbprints).')
param clientCertificateThumbprints string = ''

@description('Subject, common name or DNS name the platform certificate must carry (Receiver__ClientCertificate__ExpectedSubject). Empty: not checked.')
param clientCertificateSubject string = ''

var serviceName = 'SwUpgradeFunc'
var notificationsQueueName = 'swupgrade-notifications'
var eventsQueueName = 'swupgrade-events'
var stateTableName = 'swupgradestate'
var platformAppSecretName = 'platform-app-secret'
var clientCertificateCaName = 'client-certificate-ca'
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
    eventsQueueName: eventsQueueName
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
    clientCertificateCaName: clientCertificateCaName
    clientCertificateCa: clientCertificateCa
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
    blobEndpoint: storage.outputs.blobEndpoint
    queueEndpoint: storage.outputs.queueEndpoint
    tableEndpoint: storage.outputs.tableEndpoint
    deploymentContainerName: deploymentContainerName
    applicationInsightsConnectionString: monitoring.outputs.connectionString
    notificationsQueueName: notificationsQueueName
    eventsQueueName: eventsQueueName
    stateTableName: stateTableName
    upgradesHistoryLimit: upgradesHistoryLimit
    stalledAfterMinutes: stalledAfterMinutes
    failureRateThreshold: failureRateThreshold
    failureRateMinSettled: failureRateMinSettled
    allowedAppIds: !empty(allowedAppIds) ? allowedAppIds : platformAppId
    platformBaseUrl: platformBaseUrl
    platformAppId: platformAppId
    platformAppSecretUri: keyVault.outputs.platformAppSecretUri
    hasPlatformAppSecret: !empty(platformAppSecret)
    pushSourceAddresses: pushSources
    operatorSourceAddresses: operatorSources
    maximumInstanceCount: maximumInstanceCount
    alwaysReadyHttpInstances: alwaysReadyHttpInstances
    clientCertificateMode: clientCertificateMode
    clientCertMode: clientCertMode
    clientCertExclusionPaths: clientCertExclusionPaths
    clientCertificateCaUri: keyVault.outputs.clientCertificateCaUri
    hasClientCertificateCa: !empty(clientCertificateCa)
    clientCertificateThumbprints: clientCertificateThumbprints
    clientCertificateSubject: clientCertificateSubject
  }
  // The identity must hold its roles before the host starts and resolves the Key Vault reference.
  dependsOn: [
    rbac
  ]
}

module alerts 'app/alerts.bicep' = {
  name: 'alerts'
  scope: rg
  params: {
    name: 'alert-failure-rate-${resourceToken}'
    actionGroupName: 'ag-swupgrade-${resourceToken}'
    location: location
    tags: tags
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    failureRateThreshold: failureRateThreshold
    failureRateMinSettled: failureRateMinSettled
    alertEmail: alertEmail
  }
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
output SWUPGRADE_EVENTS_QUEUE string = eventsQueueName
output SWUPGRADE_STATE_TABLE string = stateTableName
