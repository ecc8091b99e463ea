// Key Vault (RBAC authorization) holding the platform app secret. The secret is created only when one is given;
// the function app reads it through a Key Vault reference, never as plain text.
@description('Name of the Key Vault.')
param name string

@description('Azure region.')
param location string

@description('Tags for the vault.')
param tags object = {}

@description('Name of the secret that holds the platform app secret.')
param platformAppSecretName string

@secure()
@description('The platform app secret. Empty: no secret is created.')
param platformAppSecret string = ''

resource vault 'Microsoft.KeyVault/vaults@2025-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    publicNetworkAccess: 'Enabled'
  }
}

resource platformSecret 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = if (!empty(platformAppSecret)) {
  parent: vault
  name: platformAppSecretName
  properties: {
    value: platformAppSecret
    contentType: 'text/plain'
  }
}

output name string = vault.name
output vaultUri string = vault.properties.vaultUri
@description('Versionless URI of the platform secret (the Key Vault reference follows rotations).')
output platformAppSecretUri string = '${vault.properties.vaultUri}secrets/${platformAppSecretName}'
