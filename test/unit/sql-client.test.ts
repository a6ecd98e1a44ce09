import { ManagedIdentityCredential } from '@azure/identity';

import {
  isTransientSqlError,
  isUniqueViolation,
  mssqlConnectionConfig,
  withTransientRetry,
} from '../../shared/clients/sql.client';

const settings = {
  engine: 'mssql' as const,
  server: 'sql-cuponeras.database.windows.net',
  database: 'cuponeras',
  port: 1433,
  auth: 'managed-identity' as const,
  poolMax: 10,
  encrypt: true,
};

describe('the SQL client', () => {
  test('when Azure SQL reports a transient error, then the work is retried with back-off until it succeeds', async () => {
    const waits: number[] = [];
    let calls = 0;
    const result = await withTransientRetry(
      async () => {
        calls++;
        if (calls < 3) throw Object.assign(new Error('Database is not currently available'), { number: 40613 });
        return 'ok';
      },
      { wait: async (ms) => waits.push(ms), baseDelayMs: 100 },
    );
    expect(result).toBe('ok');
    expect(calls).toBe(3);
    expect(waits).toHaveLength(2);
    // Exponential with ±50 % jitter: the n-th wait lies in [0.5, 1.5) × base × 2^(n-1), whatever the random draw.
    expect(waits[0]).toBeGreaterThanOrEqual(50);
    expect(waits[0]).toBeLessThan(150);
    expect(waits[1]).toBeGreaterThanOrEqual(100);
    expect(waits[1]).toBeLessThan(300);
  });

  test('when the error is not transient, then it is thrown at once', async () => {
    let calls = 0;
    const failing = withTransientRetry(async () => {
      calls++;
      throw Object.assign(new Error('Invalid column name'), { number: 207 });
    });
    await expect(failing).rejects.toThrow('Invalid column name');
    expect(calls).toBe(1);
  });

  test('when retries run out, then the last error is thrown', async () => {
    const failing = withTransientRetry(() => Promise.reject(Object.assign(new Error('throttled'), { number: 40501 })), {
      attempts: 3,
      wait: async () => undefined,
    });
    await expect(failing).rejects.toThrow('throttled');
  });

  test.each([40613, 40197, 40501, 49918, 4060, 10928, 1205])('error number %i is transient', (number) => {
    expect(isTransientSqlError({ number })).toBe(true);
  });

  test('unique violations are recognised on both engines', () => {
    expect(isUniqueViolation({ number: 2627 })).toBe(true);
    expect(isUniqueViolation({ number: 2601 })).toBe(true);
    expect(isUniqueViolation({ code: 'SQLITE_CONSTRAINT_UNIQUE' })).toBe(true);
    expect(isUniqueViolation({ code: 'SQLITE_CONSTRAINT_CHECK' })).toBe(false);
  });

  test('when SQL_AUTH is managed-identity, then tedious gets a token-credential with the identity', () => {
    const config = mssqlConnectionConfig({
      ...settings,
      clientId: '00000000-0000-0000-0000-000000000001',
    }) as unknown as Record<string, unknown>;
    expect(config.type).toBe('token-credential');
    expect(config.credential).toBeInstanceOf(ManagedIdentityCredential);
    expect(config).toMatchObject({ server: settings.server, database: 'cuponeras', encrypt: true });
    expect(config.password).toBeUndefined();
  });

  test('dates are bound as datetime2 (milliseconds kept), other values as knex decides', () => {
    const config = mssqlConnectionConfig(settings) as unknown as {
      options: { mapBinding: (v: unknown) => { type: { name: string } } | undefined };
    };
    expect(config.options.mapBinding(new Date())?.type.name).toBe('DateTime2');
    expect(config.options.mapBinding('texto')).toBeUndefined();
  });

  test('when SQL_AUTH is sql-password, then tedious gets SQL authentication', () => {
    const config = mssqlConnectionConfig({
      ...settings,
      auth: 'sql-password',
      user: 'app',
      password: 'secret',
    }) as unknown as Record<string, unknown>;
    expect(config).toMatchObject({ type: 'default', userName: 'app', password: 'secret' });
  });
});
