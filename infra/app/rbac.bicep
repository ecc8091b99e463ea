// Role assignments: the app's identity gets data-plane roles on storage, metrics publishing on Application Insights
// (Entra ID telemetry) and Secrets User on the Key Vault. The deploying user optionally gets the same storage and
// telemetry roles, for local runs against the cloud account (shared keys are off, so there is no other way in).
@description('Name of the storage account.')
param storageAccountName string

@description('Name of the Application Insights component.')
param applicationInsightsName string

@description('Name of the Key Vault.')
param keyVaultName string

@description('Principal id of the app\'s user-assigned identity.')
param identityPrincipalId string

@description('Principal id of the deploying user (azd: AZURE_PRINCIPAL_ID). Empty: no roles for the user.')
param userPrincipalId string = ''

@description('Principal type of userPrincipalId.')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param userPrincipalType string = 'User'

// Built-in role definition ids.
var storageBlobDataOwner = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
var storageQueueDataContributor = '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
var storageTableDataContributor = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
var monitoringMetricsPublisher = '3913510d-42f4-4e42-8a64-420c390055eb'
var keyVaultSecretsUser = '4633458b-17de-408a-b874-0445c86b69e6'

var storageRoles = [
  storageBlobDataOwner
  storageQueueDataContributor
  storageTableDataContributor
]

var grantUser = !empty(userPrincipalId)

resource storage 'Microsoft.Storage/storageAccounts@2025-01-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource vault 'Microsoft.KeyVault/vaults@2025-05-01' existing = {
  name: keyVaultName
}

resource identityStorageRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in storageRoles: {
    name: guid(storage.id, identityPrincipalId, roleId)
    scope: storage
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
      principalId: identityPrincipalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource identityMetricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, identityPrincipalId, monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisher)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource identitySecretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, identityPrincipalId, keyVaultSecretsUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUser)
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource userStorageRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in storageRoles: if (grantUser) {
    name: guid(storage.id, userPrincipalId, roleId)
    scope: storage
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
      principalId: userPrincipalId
      principalType: userPrincipalType
    }
  }
]

resource userMetricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (grantUser) {
  name: guid(applicationInsights.id, userPrincipalId, monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisher)
    principalId: userPrincipalId
    principalType: userPrincipalType
  }
}
