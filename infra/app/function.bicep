// Flex Consumption (FC1) function app running as its user-assigned identity: identity-based storage connections,
// deployment package pulled from a blob container with the identity, Entra ID telemetry, Key Vault reference for
// the platform secret, and optional inbound access restrictions for the platform's push sources.
@description('Name of the function app.')
param name string

@description('Name of the Flex Consumption plan.')
param planName string

@description('Azure region.')
param location string

@description('Tags for the plan and the app (the app also gets azd-service-name).')
param tags object = {}

@description('azd service name in azure.yaml; azd finds the app by this tag.')
param serviceName string

@description('Resource id of the user-assigned identity.')
param identityId string

@description('Client id of the user-assigned identity.')
param identityClientId string

@description('Primary blob endpoint of the storage account.')
param blobEndpoint string

@description('Primary queue endpoint of the storage account.')
param queueEndpoint string

@description('Primary table endpoint of the storage account.')
param tableEndpoint string

@description('Blob container with the deployment package.')
param deploymentContainerName string

@description('Application Insights connection string (contains no key: local auth is disabled).')
param applicationInsightsConnectionString string

@description('Notifications queue name: the queue the receiver writes to and the trigger reads (NotificationsQueueName).')
param notificationsQueueName string

@description('Queue that receives an event per settled sub-task (Events__QueueName).')
param eventsQueueName string

@description('Upgrade state table name.')
param stateTableName string

@description('How many history entries the status API keeps per upgrade.')
param upgradesHistoryLimit int

@description('Minutes without a push after which an unsettled sub-task counts as stalled (Upgrades__StalledAfterMinutes).')
param stalledAfterMinutes int

@description('Failure rate (decimal, e.g. 0.1) above which a task is flagged (Upgrades__FailureRateThreshold).')
param failureRateThreshold string

@description('Settled sub-tasks needed before the failure rate counts (Upgrades__FailureRateMinSettled).')
param failureRateMinSettled int

@description('Comma-separated appIds the receiver accepts.')
param allowedAppIds string

@description('Platform northbound API base URL (registration tool).')
param platformBaseUrl string

@description('Platform appId (registration tool).')
param platformAppId string

@description('Versionless Key Vault secret URI of the platform app secret.')
param platformAppSecretUri string

@description('False: the secret was not given; Platform__AppSecret stays empty (no Key Vault reference).')
param hasPlatformAppSecret bool

@description('Push source addresses (IPv4/IPv6, optional CIDR). Empty: no access restrictions.')
param pushSourceAddresses array = []

@description('Operator addresses also allowed in when pushSourceAddresses restricts the app.')
param operatorSourceAddresses array = []

@description('Maximum number of instances the app scales out to.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Instances kept running for the HTTP functions (the callback), so a push never waits for a cold start. 0: none.')
@minValue(0)
param alwaysReadyHttpInstances int = 1

@description('Memory size of an instance.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Receiver__ClientCertificate__Mode: off, or required (the site then asks callers for a client certificate).')
@allowed([
  'off'
  'required'
])
param clientCertificateMode string = 'off'

@description('How the front end asks for a client certificate when the check is required.')
@allowed([
  'Optional'
  'OptionalInteractiveUser'
])
param clientCertMode string = 'Optional'

@description('Paths the front end asks no client certificate for.')
param clientCertExclusionPaths string = '/api;/dashboard'

@description('Versionless Key Vault secret URI of the client certificate CA bundle.')
param clientCertificateCaUri string = ''

@description('False: no CA bundle was given; Receiver__ClientCertificate__CaCertificates stays empty.')
param hasClientCertificateCa bool = false

@description('Comma-separated SHA-256 thumbprints of accepted platform certificates.')
param clientCertificateThumbprints string = ''

@description('Name the platform certificate must carry; empty: not checked.')
param clientCertificateSubject string = ''

var restrict = !empty(pushSourceAddresses)
var requireClientCertificate = clientCertificateMode == 'required'

// A bare address becomes a single-host CIDR (App Service expects CIDR notation).
var pushCidrs = map(pushSourceAddresses, a => contains(a, '/') ? a : (contains(a, ':') ? '${a}/128' : '${a}/32'))
var operatorCidrs = map(
  operatorSourceAddresses,
  a => contains(a, '/') ? a : (contains(a, ':') ? '${a}/128' : '${a}/32')
)

var pushRules = [
  for (cidr, i) in pushCidrs: {
    name: 'platform-push-${i}'
    description: 'Huawei IoT platform push source'
    ipAddress: cidr
    action: 'Allow'
    priority: 100 + i
  }
]

var operatorRules = [
  for (cidr, i) in operatorCidrs: {
    name: 'operator-${i}'
    description: 'Operator (status API, function keys still required)'
    ipAddress: cidr
    action: 'Allow'
    priority: 300 + i
  }
]

resource plan 'Microsoft.Web/serverfarms@2025-03-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2025-03-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': serviceName })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    publicNetworkAccess: 'Enabled'
    keyVaultReferenceIdentity: identityId
    // The front end ends TLS: when asked to, it requests the caller's certificate and forwards it in X-ARR-ClientCert;
    // the app verifies it (Receiver__ClientCertificate__*). Optional: the front end never refuses, the app answers.
    clientCertEnabled: requireClientCertificate
    clientCertMode: clientCertMode
    clientCertExclusionPaths: requireClientCertificate ? clientCertExclusionPaths : null
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      http20Enabled: true
      ipSecurityRestrictionsDefaultAction: restrict ? 'Deny' : 'Allow'
      ipSecurityRestrictions: restrict ? concat(pushRules, operatorRules) : []
      // The deployment endpoint (scm) keeps its own, open rule set: azd deploys from the developer's machine with
      // an Entra ID token (basic publishing credentials are disabled below).
      scmIpSecurityRestrictionsUseMain: false
      scmIpSecurityRestrictionsDefaultAction: 'Allow'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${blobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
        // The http group holds the callback (and the status API); the queue trigger scales on its own group.
        alwaysReady: alwaysReadyHttpInstances > 0
          ? [
              {
                name: 'http'
                instanceCount: alwaysReadyHttpInstances
              }
            ]
          : []
      }
    }
  }

  // Every setting the code reads (the Platform__* ones by the reconciliation timer, which stays off without them;
  // Platform__CaFile, a local file path, is left out). Connections are identity-based (no keys); the platform secret
  // is a Key Vault reference resolved with keyVaultReferenceIdentity. The host's storage is named by its service endpoints, which
  // carry the cloud's own suffix (an account name alone makes the host assume the public cloud's).
  resource appSettings 'config' = {
    name: 'appsettings'
    properties: {
      AzureWebJobsStorage__blobServiceUri: blobEndpoint
      AzureWebJobsStorage__queueServiceUri: queueEndpoint
      AzureWebJobsStorage__tableServiceUri: tableEndpoint
      AzureWebJobsStorage__credential: 'managedidentity'
      AzureWebJobsStorage__clientId: identityClientId
      SwUpgradeStorage__queueServiceUri: queueEndpoint
      SwUpgradeStorage__tableServiceUri: tableEndpoint
      SwUpgradeStorage__credential: 'managedidentity'
      SwUpgradeStorage__clientId: identityClientId
      NotificationsQueueName: notificationsQueueName
      Events__QueueName: eventsQueueName
      Upgrades__TableName: stateTableName
      Upgrades__HistoryLimit: string(upgradesHistoryLimit)
      Upgrades__StalledAfterMinutes: string(stalledAfterMinutes)
      Upgrades__FailureRateThreshold: failureRateThreshold
      Upgrades__FailureRateMinSettled: string(failureRateMinSettled)
      Upgrades__RetentionDays: '180'
      UpgradesRetentionSchedule: '0 30 3 * * *'
      Receiver__AllowedAppIds: allowedAppIds
      Receiver__MaxBodyBytes: '65536'
      Receiver__EnqueueTimeoutSeconds: '5'
      Receiver__RetryAfterSeconds: '10'
      Receiver__ClientCertificate__Mode: clientCertificateMode
      Receiver__ClientCertificate__CaCertificates: hasClientCertificateCa ? '@Microsoft.KeyVault(SecretUri=${clientCertificateCaUri})' : ''
      Receiver__ClientCertificate__Thumbprints: clientCertificateThumbprints
      Receiver__ClientCertificate__ExpectedSubject: clientCertificateSubject
      APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
      ReconcileSchedule: '0 */15 * * * *'
      Reconcile__WindowDays: '7'
      Reconcile__MaxBackOffHours: '24'
      Reconcile__MaxTasksPerRun: '10'
      Reconcile__MaxPlatformCallsPerRun: '60'
      Platform__BaseUrl: platformBaseUrl
      Platform__AppId: platformAppId
      Platform__AppSecret: hasPlatformAppSecret ? '@Microsoft.KeyVault(SecretUri=${platformAppSecretUri})' : ''
    }
  }

  // Flex Consumption has no FTP endpoint; only the scm (deployment) policy applies. App Service serialises writes to
  // one site, so this one waits for the app settings instead of racing them ("another operation is in progress").
  resource scmPublishing 'basicPublishingCredentialsPolicies' = {
    name: 'scm'
    properties: {
      allow: false
    }
    dependsOn: [
      appSettings
    ]
  }
}

output name string = site.name
output defaultHostName string = site.properties.defaultHostName
