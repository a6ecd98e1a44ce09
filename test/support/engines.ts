import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import knex from 'knex';

import { createSqlClient, type Db } from '../../shared/clients/sql.client';

/**
 * The engines a contract suite runs on: SQLite always, SQL Server too when MSSQL_TEST_CONNECTION
 * holds an ADO-style connection string (Server=host,1433;Database=…;User Id=…;Password=…).
 */
export interface Engine {
  name: 'sqlite' | 'mssql';
  create(): Promise<Db>;
}

function parseConnectionString(value: string): Record<string, string> {
  return Object.fromEntries(
    value
      .split(';')
      .map((part) => part.split('='))
      .filter((kv): kv is [string, string] => kv.length >= 2 && kv[0] !== '')
      .map(([key, ...rest]) => [key.trim().toLowerCase(), rest.join('=').trim()]),
  );
}

export function engines(): Engine[] {
  const list: Engine[] = [
    {
      name: 'sqlite',
      create: async () => createSqlClient({ engine: 'sqlite', file: path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cuponeras-db-')), 'test.sqlite') }),
    },
  ];
  const connection = process.env.MSSQL_TEST_CONNECTION;
  if (connection) {
    list.push({
      name: 'mssql',
      create: async () => {
        const cs = parseConnectionString(connection);
        const [server = 'localhost', port = '1433'] = (cs.server ?? '').replace(/^tcp:/, '').split(',');
        const admin = knex({
          client: 'mssql',
          connection: { server, port: Number(port), userName: cs['user id'], password: cs.password, database: 'master', options: { encrypt: cs.encrypt === 'true', trustServerCertificate: true } },
        });
        const database = `cuponeras_test_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
        await admin.raw(`CREATE DATABASE [${database}]`);
        await admin.destroy();
        return knex({
          client: 'mssql',
          connection: { server, port: Number(port), userName: cs['user id'], password: cs.password, database, options: { encrypt: cs.encrypt === 'true', trustServerCertificate: true } },
        });
      },
    });
  }
  return list;
}
