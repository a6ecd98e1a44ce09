import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import knex, { type Knex } from 'knex';

import { mssqlConnectionConfig } from '../shared/clients/sql.client';
import { migrateLatest } from '../sql/migrator';

/**
 * azd postprovision hook (and a tool for running migrations by hand against Azure SQL): with the
 * deployer's Entra token, makes the Function App's managed identity a contained database user
 * with the least roles it needs, then applies the migrations. Running it twice changes nothing.
 */

/** The T-SQL that grants the app's identity read/write on data and nothing else (no DDL). */
export function databaseUserStatements(identityName: string): string[] {
  // Function App names: letters, digits and dashes. Checked before it is used as an identifier.
  if (!/^[A-Za-z0-9][A-Za-z0-9-]{0,58}$/.test(identityName))
    throw new Error(`Unexpected identity name: ${identityName}`);
  const user = `[${identityName}]`;
  const literal = `N'${identityName}'`;
  return [
    `IF NOT EXISTS (SELECT 1 FROM sys.database_principals WHERE name = ${literal}) CREATE USER ${user} FROM EXTERNAL PROVIDER;`,
    `IF IS_ROLEMEMBER(N'db_datareader', ${literal}) = 0 ALTER ROLE db_datareader ADD MEMBER ${user};`,
    `IF IS_ROLEMEMBER(N'db_datawriter', ${literal}) = 0 ALTER ROLE db_datawriter ADD MEMBER ${user};`,
  ];
}

/** A knex on Azure SQL authenticated as the deployer (az / azd login, or the CI's federated identity). */
export function deployerConnection(
  server: string,
  database: string,
  credential: TokenCredential = new DefaultAzureCredential(),
): Knex {
  return knex({
    client: 'mssql',
    connection: mssqlConnectionConfig(
      { engine: 'mssql', server, database, port: 1433, auth: 'default-credential', poolMax: 2, encrypt: true },
      credential,
    ),
    pool: { min: 0, max: 2 },
  });
}

export async function provisionDatabase(options: {
  server: string;
  database: string;
  appIdentityName: string;
  credential?: TokenCredential;
}): Promise<string[]> {
  const db = deployerConnection(options.server, options.database, options.credential);
  try {
    for (const statement of databaseUserStatements(options.appIdentityName)) await db.raw(statement);
    return await migrateLatest(db);
  } finally {
    await db.destroy();
  }
}

if (require.main === module) {
  const need = (name: string) => {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is not set (azd sets it from the Bicep outputs)`);
    return value;
  };
  provisionDatabase({
    server: need('SQL_SERVER'),
    database: need('SQL_DATABASE'),
    appIdentityName: need('AZURE_FUNCTION_APP_NAME'),
  })
    .then((applied) =>
      console.log(
        `Database user ready; migrations applied: ${applied.length > 0 ? applied.join(', ') : 'none (up to date)'}`,
      ),
    )
    .catch((error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exitCode = 1;
    });
}
