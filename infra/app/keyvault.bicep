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

@description('Name of the secret that holds the CA bundle (PEM) of the platform\'s client certificate.')
param clientCertificateCaName string = 'client-certificate-ca'

@secure()
@description('The CA bundle (PEM) the callback\'s client certificate check trusts. Empty: no secret is created.')
param clientCertificateCa string = ''

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

// Not confidential, but kept beside the other setting material so that it is rotated in one place without a deployment.
resource clientCertificateCaSecret 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = if (!empty(clientCertificateCa)) {
  parent: vault
  name: clientCertificateCaName
  properties: {
    value: clientCertificateCa
    contentType: 'application/x-pem-file'
  }
}

output name string = vault.name
output vaultUri string = vault.properties.vaultUri
@description('Versionless URI of the platform secret (the Key Vault reference follows rotations).')
output platformAppSecretUri string = '${vault.properties.vaultUri}secrets/${platformAppSecretName}'
@description('Versionless URI of the client certificate CA bundle.')
output clientCertificateCaUri string = '${vault.properties.vaultUri}secrets/${clientCertificateCaName}'
