import fs from 'node:fs';
import path from 'node:path';

import { ManagedIdentityCredential, type TokenCredential } from '@azure/identity';

import { databaseUserStatements, deployerConnection } from '../../scripts/provision-database';
import { CONTAINERS } from '../../shared/clients/blob.client';
import { SETTING_NAMES } from '../../shared/config';
import { projectRoot } from '../../shared/projectFiles';

// No Bicep compiler installs from npm: these are structural checks of the files (docs/deploy.md
// gives the `az bicep build` command a user runs).
const bicep = fs.readFileSync(path.join(projectRoot(), 'infra/main.bicep'), 'utf8');
const deployDoc = fs.readFileSync(path.join(projectRoot(), 'docs/deploy.md'), 'utf8');
const optionalTable = deployDoc.slice(deployDoc.indexOf('Optional settings'), deployDoc.indexOf('**The app refuses'));

describe('the Azure infrastructure', () => {
  const appSettings = bicep.slice(
    bicep.indexOf("resource appSettings 'config'"),
    bicep.indexOf('dependsOn: [storageBlobOwner'),
  );

  test.each(SETTING_NAMES)('setting %s is set by Bicep or documented as optional', (name) => {
    const inBicep = new RegExp(`^\\s+${name}: `, 'm').test(appSettings);
    const documentedOptional = optionalTable.includes(`\`${name}\``);
    expect(inBicep || documentedOptional).toBe(true);
  });

  test('the app reaches storage with its identity: account name setting, no keys allowed', () => {
    expect(appSettings).toMatch(/AzureWebJobsStorage__accountName: storage\.name/);
    expect(bicep).toContain('allowSharedKeyAccess: false');
    expect(bicep).not.toMatch(/listKeys\(/);
  });

  test.each([
    ['Storage Blob Data Owner', 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b', 'storageBlobDataOwner'],
    ['Storage Queue Data Contributor', '974c5e8b-45b9-4653-ba55-5f855dd0fb88', 'storageQueueDataContributor'],
    ['Key Vault Secrets User', '4633458b-17de-408a-b874-0445c86b69e6', 'keyVaultSecretsUser'],
    ['Monitoring Metrics Publisher', '3913510d-42f4-4e42-8a64-420c390055eb', 'monitoringMetricsPublisher'],
  ])('the app identity is assigned %s', (_role, guid, key) => {
    expect(bicep).toContain(`${key}: '${guid}'`);
    expect(bicep).toMatch(
      new RegExp(`roleDefinitions', roles\\.${key}\\)\\s+principalId: functionApp\\.identity\\.principalId`),
    );
  });

  test('the import containers exist and their blob events reach the app through Event Grid, as Flex Consumption requires', () => {
    const containers = /for container in \[([^\]]*)\]/.exec(bicep)?.[1]?.match(/'[^']+'/g) ?? [];
    expect(containers.map((c) => c.slice(1, -1)).sort()).toEqual(Object.values(CONTAINERS).sort());
    expect(bicep).toMatch(/topicType: 'Microsoft\.Storage\.StorageAccounts'/);
    const azureYaml = fs.readFileSync(path.join(projectRoot(), 'azure.yaml'), 'utf8');
    expect(azureYaml).toMatch(/postdeploy:\s+shell: sh\s+run: node infra\/hooks\/subscribe-blob-events\.mjs/);
    const hook = fs.readFileSync(path.join(projectRoot(), 'infra/hooks/subscribe-blob-events.mjs'), 'utf8');
    // Every blob-triggered function, found in the code: a new one forgotten in the hook fails here.
    const triggers = fs
      .readdirSync(path.join(projectRoot(), 'functions'))
      .map((fn) => ({ fn, source: fs.readFileSync(path.join(projectRoot(), `functions/${fn}/index.ts`), 'utf8') }))
      .filter(({ source }) => source.includes('app.storageBlob('));
    expect(triggers.map((t) => t.fn).sort()).toEqual(['importCollections', 'importInvoiceLines', 'importInvoices']);
    for (const { fn, source } of triggers) {
      const container = /path: '([^/']+)\//.exec(source)?.[1] ?? '';
      expect(hook).toContain(`['${fn}', '${container}']`);
      expect(Object.values(CONTAINERS)).toContain(container);
      expect(source).toMatch(/^ {2}source: 'EventGrid',$/m);
    }
  });

  test('the app identity may send email through Communication Services', () => {
    expect(bicep).toMatch(/roleDefinitionId: emailSenderRole\.id\s+principalId: functionApp\.identity\.principalId/);
    expect(bicep).toContain("'Microsoft.Communication/CommunicationServices/Read'");
  });

  test('Azure SQL is Entra-only, the JWT secret is a Key Vault reference, the plan is Flex Consumption on Node 22', () => {
    expect(bicep).toContain('azureADOnlyAuthentication: true');
    expect(appSettings).toMatch(
      /JWT_SECRET: '@Microsoft\.KeyVault\(SecretUri=\$\{jwtSecretResource\.properties\.secretUri\}\)'/,
    );
    expect(bicep).toContain("sku: { name: 'FC1', tier: 'FlexConsumption' }");
    expect(bicep).toContain("runtime: { name: 'node', version: '22' }");
    expect(bicep).toContain("identity: { type: 'SystemAssigned' }");
    expect(bicep).toMatch(/@secure\(\)\s+@description\('[^']*'\)\s+param jwtSecret string/);
  });

  test('no parameter file holds a secret value', () => {
    const parameters = fs.readFileSync(path.join(projectRoot(), 'infra/main.parameters.json'), 'utf8');
    expect(JSON.parse(parameters).parameters.jwtSecret.value).toBe('${JWT_SECRET}');
  });
});

describe('the database provisioning hook', () => {
  test('it creates the app identity as a contained user with read/write roles, idempotently', () => {
    expect(databaseUserStatements('func-cuponeras-abc123')).toEqual([
      "IF NOT EXISTS (SELECT 1 FROM sys.database_principals WHERE name = N'func-cuponeras-abc123') CREATE USER [func-cuponeras-abc123] FROM EXTERNAL PROVIDER;",
      "IF IS_ROLEMEMBER(N'db_datareader', N'func-cuponeras-abc123') = 0 ALTER ROLE db_datareader ADD MEMBER [func-cuponeras-abc123];",
      "IF IS_ROLEMEMBER(N'db_datawriter', N'func-cuponeras-abc123') = 0 ALTER ROLE db_datawriter ADD MEMBER [func-cuponeras-abc123];",
    ]);
  });

  test('a name that could break out of the identifier is refused', () => {
    expect(() => databaseUserStatements('x]; DROP TABLE users; --')).toThrow(/Unexpected identity name/);
  });

  test("it connects with the deployer's Entra token: tedious gets a token-credential, no password", async () => {
    const credential: TokenCredential = new ManagedIdentityCredential();
    const db = deployerConnection('sql-cuponeras.database.windows.net', 'cuponeras', credential);
    const connection = db.client.config.connection as Record<string, unknown>;
    expect(connection).toMatchObject({
      type: 'token-credential',
      server: 'sql-cuponeras.database.windows.net',
      database: 'cuponeras',
      encrypt: true,
    });
    expect(connection.credential).toBe(credential);
    expect(connection.password).toBeUndefined();
    await db.destroy();
  });
});
