// Cuponeras EPM on Azure: Function App (Flex Consumption) with a system-assigned identity that
// reaches Storage queues, Azure SQL, Key Vault, Communication Services Email and Application
// Insights through Entra ID role assignments — no account keys, no SQL passwords.
// Deploy with `azd up` (azure.yaml); compile and lint with `npm run check:infra`.
targetScope = 'resourceGroup'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; used to make resource names unique.')
param environmentName string

@description('Azure region for every resource.')
param location string = resourceGroup().location

@description('Object id of the Entra principal running the deployment (user or CI service principal); it becomes the Azure SQL Entra admin so the post-provision hook can create the app user and migrate.')
param principalId string

@description('Display name (UPN or app name) of that principal, for the SQL Entra admin.')
param principalName string

@allowed(['User', 'Group', 'Application'])
@description('Kind of principal in principalId.')
param principalType string = 'User'

@secure()
@description('JWT signing secret (≥ 32 characters). Generated once per azd environment by infra/hooks/ensure-secrets.mjs and stored in Key Vault; never in a parameter file.')
param jwtSecret string

@description('Wompi environment whose keys are given: sandbox (Wompi\'s test environment, no money moves) or production.')
@allowed(['sandbox', 'production'])
param wompiEnvironment string = 'sandbox'

@description('Wompi public key (pub_test_… or pub_prod_…), from the Wompi merchant dashboard. Not a secret: the checkout link carries it.')
param wompiPublicKey string

@secure()
@description('Wompi private key (prv_…): the transactions API. Stored in Key Vault.')
param wompiPrivateKey string

@secure()
@description('Wompi integrity secret: signs the checkout links. Stored in Key Vault.')
param wompiIntegritySecret string

@secure()
@description('Wompi events secret: the checksum of the gateway\'s events. Stored in Key Vault.')
param wompiEventsSecret string

@description('Azure SQL database SKU. Default: serverless General Purpose, 0.5–1 vCore, auto-pause after 60 minutes.')
param sqlSkuName string = 'GP_S_Gen5'

@description('vCores (max for serverless).')
param sqlSkuCapacity int = 1

@description('Minutes of inactivity before a serverless database pauses (-1 disables auto-pause).')
param sqlAutoPauseDelay int = 60

@description('Frontend origins allowed by CORS, comma-separated (e.g. https://cuponeras.epm.com.co).')
param corsOrigins string = ''

@description('EPM biller GLN for barcode AI 415 (13 digits with a valid check digit).')
param billerGln string = '7707181010011'

@description('Public IP of the deployer, to let the post-provision hook reach Azure SQL from outside Azure (empty: only Azure services).')
param deployerIpAddress string = ''

@description('Email address that receives the operational alerts (docs/operations.md).')
param alertEmail string

@description('Maximum instances of the Flex Consumption app.')
param maximumInstanceCount int = 40

@description('Memory of each instance (MB).')
@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

var suffix = uniqueString(subscription().id, resourceGroup().id, environmentName)
var tags = { 'azd-env-name': environmentName, application: 'cuponeras-epm' }
var functionAppName = 'func-cuponeras-${suffix}'
var deploymentContainer = 'deploymentpackage'

// Built-in role definition ids.
var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

// ---- Monitoring ----

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2025-07-01' = {
  name: 'log-cuponeras-${suffix}'
  location: location
  tags: tags
  properties: { sku: { name: 'PerGB2018' }, retentionInDays: 30 }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: 'appi-cuponeras-${suffix}'
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logAnalytics.id
    DisableLocalAuth: true
  }
}

// ---- Alerts (docs/operations.md): log-search rules on Application Insights, evaluated every 5
// minutes, to one action group emailing `alertEmail`. They read what the app writes: the request
// log (5xx) and the reportSystem timer's `system-report {json}` line every 5 minutes (outbox age,
// poison depth, failed timers, PENDING gateway payments).

resource onCall 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: 'ag-cuponeras-${suffix}'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'cuponeras'
    enabled: true
    emailReceivers: [{ name: 'on-call', emailAddress: alertEmail, useCommonAlertSchema: true }]
  }
}

// The latest system report of the window, parsed: one row per report.
var report = 'traces | where message startswith "system-report " | extend r = parse_json(substring(message, 14))'

var rules = [
  {
    name: 'http-5xx-rate'
    description: 'More than 5 % of requests answered 5xx in 10 minutes (at least 20 requests).'
    severity: 1
    query: 'requests | summarize total = count(), failed = countif(toint(resultCode) >= 500) | where total >= 20 and todouble(failed) / total > 0.05'
  }
  {
    name: 'outbox-age'
    description: 'The outbox has owed a message for more than 10 minutes: receipts and notifications are not leaving.'
    severity: 2
    query: '${report} | where toint(r.outboxOldestAgeSeconds) > 600'
  }
  {
    name: 'poison-depth'
    description: 'A poison queue holds messages: an email or notification failed for good and waits for an operator.'
    severity: 2
    query: '${report} | where toint(r.poisonMessages) > 0'
  }
  {
    name: 'timer-failed'
    description: 'A timer\'s last run failed (expiry, outbox, reconciler, notices, purge).'
    severity: 2
    query: '${report} | where array_length(r.failedTimers) > 0'
  }
  {
    name: 'gateway-pending'
    description: 'A gateway payment has been PENDING for more than 15 minutes: events are not arriving and the reconciler is not closing it.'
    severity: 2
    query: '${report} | where toint(r.pendingOldestAgeSeconds) > 900'
  }
]

resource alertRules 'Microsoft.Insights/scheduledQueryRules@2026-03-01' = [
  for rule in rules: {
    name: 'alert-cuponeras-${rule.name}-${suffix}'
    location: location
    tags: tags
    properties: {
      displayName: 'Cuponeras: ${rule.name}'
      description: rule.description
      severity: rule.severity
      enabled: true
      scopes: [appInsights.id]
      evaluationFrequency: 'PT5M'
      windowSize: 'PT10M'
      criteria: {
        allOf: [
          {
            query: rule.query
            timeAggregation: 'Count'
            operator: 'GreaterThan'
            threshold: 0
            failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 }
          }
        ]
      }
      autoMitigate: true
      actions: { actionGroups: [onCall.id] }
    }
  }
]

// ---- Storage: host state, deployment package, queues (identity only) ----

resource storage 'Microsoft.Storage/storageAccounts@2025-06-01' = {
  name: 'stcup${suffix}'
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    defaultToOAuthAuthentication: true
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2025-06-01' = {
  parent: storage
  name: 'default'
}

resource deploymentPackages 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-06-01' = {
  parent: blobService
  name: deploymentContainer
}

// The billing feed's CSVs (invoices and their service lines) and the banks' collection files: a blob in any starts its import.
resource importContainers 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-06-01' = [
  for container in ['invoice-imports', 'invoice-line-imports', 'collections']: {
    parent: blobService
    name: container
  }
]

// Flex Consumption runs blob triggers only from Event Grid (source: 'EventGrid' in the code):
// the storage account's events go through this system topic. The subscriptions to the app's
// blob webhook need the app's blobs_extension key, which exists once the code is deployed:
// the postdeploy hook (infra/hooks/subscribe-blob-events.mjs) creates them.
resource storageEvents 'Microsoft.EventGrid/systemTopics@2025-02-15' = {
  name: 'evgt-cup-${suffix}'
  location: location
  properties: {
    source: storage.id
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

// ---- Key Vault: the JWT signing secret ----

resource vault 'Microsoft.KeyVault/vaults@2025-05-01' = {
  name: 'kv-cup-${suffix}'
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    enablePurgeProtection: true
  }
}

resource jwtSecretResource 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = {
  parent: vault
  name: 'jwt-secret'
  properties: { value: jwtSecret, contentType: 'JWT HS256 signing key' }
}

// The gateway's keys: the app reads them through Key Vault references, like the JWT secret.
resource wompiPrivateKeyResource 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = {
  parent: vault
  name: 'wompi-private-key'
  properties: { value: wompiPrivateKey, contentType: 'Wompi private key' }
}

resource wompiIntegrityResource 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = {
  parent: vault
  name: 'wompi-integrity-secret'
  properties: { value: wompiIntegritySecret, contentType: 'Wompi integrity secret' }
}

resource wompiEventsResource 'Microsoft.KeyVault/vaults/secrets@2025-05-01' = {
  parent: vault
  name: 'wompi-events-secret'
  properties: { value: wompiEventsSecret, contentType: 'Wompi events secret' }
}

// ---- Azure SQL: Entra-only authentication, serverless database ----

resource sqlServer 'Microsoft.Sql/servers@2025-01-01' = {
  name: 'sql-cuponeras-${suffix}'
  location: location
  tags: tags
  properties: {
    minimalTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
    administrators: {
      administratorType: 'ActiveDirectory'
      azureADOnlyAuthentication: true
      login: principalName
      sid: principalId
      tenantId: subscription().tenantId
      principalType: principalType
    }
  }
}

resource sqlAllowAzure 'Microsoft.Sql/servers/firewallRules@2025-01-01' = {
  parent: sqlServer
  name: 'AllowAllWindowsAzureIps'
  properties: { startIpAddress: '0.0.0.0', endIpAddress: '0.0.0.0' }
}

resource sqlAllowDeployer 'Microsoft.Sql/servers/firewallRules@2025-01-01' = if (!empty(deployerIpAddress)) {
  parent: sqlServer
  name: 'AllowDeployer'
  properties: { startIpAddress: deployerIpAddress, endIpAddress: deployerIpAddress }
}

resource database 'Microsoft.Sql/servers/databases@2025-01-01' = {
  parent: sqlServer
  name: 'cuponeras'
  location: location
  tags: tags
  sku: { name: sqlSkuName, tier: startsWith(sqlSkuName, 'GP') ? 'GeneralPurpose' : 'Standard', family: startsWith(sqlSkuName, 'GP') ? 'Gen5' : null, capacity: sqlSkuCapacity }
  properties: {
    collation: 'SQL_Latin1_General_CP1_CI_AS'
    autoPauseDelay: sqlAutoPauseDelay
    minCapacity: json('0.5')
    requestedBackupStorageRedundancy: 'Local'
  }
}

// ---- Communication Services Email with an Azure-managed domain ----

resource emailService 'Microsoft.Communication/emailServices@2025-05-01' = {
  name: 'ecs-cuponeras-${suffix}'
  location: 'global'
  tags: tags
  properties: { dataLocation: 'United States' }
}

resource emailDomain 'Microsoft.Communication/emailServices/domains@2025-05-01' = {
  parent: emailService
  name: 'AzureManagedDomain'
  location: 'global'
  properties: { domainManagement: 'AzureManaged', userEngagementTracking: 'Disabled' }
}

resource communication 'Microsoft.Communication/communicationServices@2025-05-01' = {
  name: 'acs-cuponeras-${suffix}'
  location: 'global'
  tags: tags
  properties: { dataLocation: 'United States', linkedDomains: [emailDomain.id] }
}

// Least privilege to send email with Entra ID: read the resource and send through it.
resource emailSenderRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(resourceGroup().id, 'cuponeras-email-sender')
  properties: {
    roleName: 'Cuponeras email sender (${suffix})'
    description: 'Send email through Azure Communication Services.'
    type: 'CustomRole'
    assignableScopes: [resourceGroup().id]
    permissions: [
      {
        actions: [
          'Microsoft.Communication/CommunicationServices/Read'
          'Microsoft.Communication/CommunicationServices/Write'
          'Microsoft.Communication/EmailServices/write'
        ]
        notActions: []
      }
    ]
  }
}

// ---- The Function App ----

resource plan 'Microsoft.Web/serverfarms@2025-03-01' = {
  name: 'plan-cuponeras-${suffix}'
  location: location
  tags: tags
  kind: 'functionapp'
  sku: { name: 'FC1', tier: 'FlexConsumption' }
  properties: { reserved: true }
}

resource functionApp 'Microsoft.Web/sites@2025-03-01' = {
  name: functionAppName
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: { type: 'SystemAssigned' }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainer}'
          authentication: { type: 'SystemAssignedIdentity' }
        }
      }
      scaleAndConcurrency: { maximumInstanceCount: maximumInstanceCount, instanceMemoryMB: instanceMemoryMB }
      runtime: { name: 'node', version: '22' }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      // CORS is answered by the app itself (shared/http/cors.ts) from CORS_ORIGINS.
      cors: { allowedOrigins: [] }
    }
  }

  resource appSettings 'config' = {
    name: 'appsettings'
    properties: {
      // Host storage and queues through the managed identity (no connection string, no key).
      AzureWebJobsStorage__accountName: storage.name
      AzureWebJobsStorage__credential: 'managedidentity'
      APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD'
      APP_ENV: 'production'
      DB_ENGINE: 'mssql'
      SQL_SERVER: sqlServer.properties.fullyQualifiedDomainName
      SQL_DATABASE: database.name
      SQL_PORT: '1433'
      SQL_AUTH: 'managed-identity'
      SQL_ENCRYPT: 'true'
      SQL_POOL_MAX: '10'
      JWT_ALGORITHM: 'HS256'
      JWT_SECRET: '@Microsoft.KeyVault(SecretUri=${jwtSecretResource.properties.secretUri})'
      JWT_ISSUER: 'https://${functionAppName}.azurewebsites.net'
      JWT_AUDIENCE: 'cuponeras-epm-api'
      EMAIL_MODE: 'acs'
      EMAIL_SENDER: 'DoNotReply@${emailDomain.properties.mailFromSenderDomain}'
      ACS_ENDPOINT: 'https://${communication.properties.hostName}'
      CORS_ORIGINS: corsOrigins
      BILLER_GLN: billerGln
      PAYMENT_PROVIDER: 'wompi'
      WOMPI_PUBLIC_KEY: wompiPublicKey
      WOMPI_PRIVATE_KEY: '@Microsoft.KeyVault(SecretUri=${wompiPrivateKeyResource.properties.secretUri})'
      WOMPI_INTEGRITY_SECRET: '@Microsoft.KeyVault(SecretUri=${wompiIntegrityResource.properties.secretUri})'
      WOMPI_EVENTS_SECRET: '@Microsoft.KeyVault(SecretUri=${wompiEventsResource.properties.secretUri})'
      WOMPI_API_URL: 'https://${wompiEnvironment}.wompi.co/v1'
      WOMPI_CHECKOUT_URL: 'https://checkout.wompi.co/p/'
      // The host buffers a request's body before the app sees it: cap it just over the operator
      // uploads' UPLOAD_MAX_BYTES (50 MiB) instead of the host's default 100 MB (docs/deploy.md).
      FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: '53477376'
    }
    dependsOn: [storageBlobOwner, storageQueueContributor, storageTableContributor, vaultSecretsUser]
  }
}

// ---- Role assignments of the app's identity ----

resource storageBlobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, functionApp.id, roles.storageBlobDataOwner)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
    principalId: functionApp.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

resource storageQueueContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, functionApp.id, roles.storageQueueDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor)
    principalId: functionApp.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

// The Functions host keeps timer-trigger schedule state in tables.
resource storageTableContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, functionApp.id, roles.storageTableDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
    principalId: functionApp.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

resource vaultSecretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, functionApp.id, roles.keyVaultSecretsUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    principalId: functionApp.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

resource telemetryPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, functionApp.id, roles.monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: functionApp.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

resource emailSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(communication.id, functionApp.id, 'email-sender')
  scope: communication
  properties: {
    roleDefinitionId: emailSenderRole.id
    principalId: functionApp.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

// ---- Outputs (azd stores them in the environment; the hooks and the frontend use them) ----

@description('The Function App, for azd deploy and the postdeploy hook.')
output AZURE_FUNCTION_APP_NAME string = functionApp.name
@description('The storage account\'s Event Grid system topic the postdeploy hook subscribes the blob triggers to.')
output AZURE_STORAGE_EVENTS_TOPIC string = storageEvents.name
@description('The API\'s base URL, for the frontend.')
output API_BASE_URL string = 'https://${functionApp.properties.defaultHostName}/api'
@description('The API reference page.')
output API_DOCS_URL string = 'https://${functionApp.properties.defaultHostName}/api/docs'
@description('The Azure SQL server, for the post-provision hook (contained user, migrations).')
output SQL_SERVER string = sqlServer.properties.fullyQualifiedDomainName
@description('The Azure SQL database.')
output SQL_DATABASE string = database.name
@description('The Key Vault holding the app\'s secrets.')
output AZURE_KEY_VAULT_NAME string = vault.name
@description('The sender address of the Azure-managed email domain.')
output EMAIL_SENDER string = 'DoNotReply@${emailDomain.properties.mailFromSenderDomain}'
@description('The Application Insights resource the app reports to.')
output APPLICATIONINSIGHTS_NAME string = appInsights.name
