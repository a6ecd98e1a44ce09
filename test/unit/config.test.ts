import { ConfigError, EXAMPLE_JWT_SECRET, loadConfig, SETTING_NAMES } from '../../shared/config';

const base = { AzureWebJobsStorage: 'UseDevelopmentStorage=true', JWT_SECRET: 'a'.repeat(40) };

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('configuration', () => {
  test('when only the required settings are given, then every other setting has its documented default', () => {
    const config = loadConfig(base);
    expect(config.database).toMatchObject({ engine: 'sqlite' });
    expect(config.jwt).toMatchObject({ algorithm: 'HS256', accessTokenTtlSeconds: 900, refreshTokenTtlDays: 14 });
    expect(config.auth.bcryptCost).toBe(12);
    expect(config.schedules.expireCoupons).toBe('0 */5 * * * *');
    expect(config.email.mode).toBe('outbox');
  });

  test('when the JWT secret is missing, then the error names JWT_SECRET', () => {
    expect(problemsOf({ AzureWebJobsStorage: 'x' })).toEqual([expect.stringMatching(/^JWT_SECRET /)]);
  });

  test('when a number is not a number, then the error names the setting', () => {
    expect(problemsOf({ ...base, BCRYPT_COST: 'twelve' })[0]).toMatch(/^BCRYPT_COST /);
  });

  test('when the bcrypt cost is below 10, then it is refused', () => {
    expect(problemsOf({ ...base, BCRYPT_COST: '8' })[0]).toMatch(/^BCRYPT_COST /);
  });

  test('when DB_ENGINE is mssql without a server, then SQL_SERVER and SQL_DATABASE are named', () => {
    const problems = problemsOf({ ...base, DB_ENGINE: 'mssql' });
    expect(problems.some((p) => p.startsWith('SQL_SERVER'))).toBe(true);
    expect(problems.some((p) => p.startsWith('SQL_DATABASE'))).toBe(true);
  });

  test('when no queue connection is set, then AzureWebJobsStorage is named', () => {
    expect(problemsOf({ JWT_SECRET: 'a'.repeat(40) })[0]).toMatch(/^AzureWebJobsStorage /);
  });

  test('when production runs with the example secret and local defaults, then it refuses to start', () => {
    const problems = problemsOf({ ...base, APP_ENV: 'production', JWT_SECRET: EXAMPLE_JWT_SECRET });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^JWT_SECRET .*example/),
        expect.stringMatching(/^DB_ENGINE /),
        expect.stringMatching(/^EMAIL_MODE /),
      ]),
    );
  });

  test('when running in Azure (WEBSITE_SITE_NAME) with local defaults, then it refuses to start even without APP_ENV', () => {
    expect(problemsOf({ ...base, WEBSITE_SITE_NAME: 'func-cuponeras-abc' })).toEqual(
      expect.arrayContaining([expect.stringMatching(/^DB_ENGINE /), expect.stringMatching(/^EMAIL_MODE /)]),
    );
    expect(
      problemsOf({ ...base, WEBSITE_SITE_NAME: 'func-cuponeras-abc', ALLOW_LOCAL_DEFAULTS_IN_PRODUCTION: 'true' }),
    ).toEqual([]);
  });

  test('when an Azure app setting is an empty string, then its default applies', () => {
    expect(loadConfig({ ...base, BCRYPT_COST: '' }).auth.bcryptCost).toBe(12);
  });

  test('when the queue account name is given instead of a connection string, then the queue URI is derived for managed identity', () => {
    const config = loadConfig({ JWT_SECRET: 'a'.repeat(40), AzureWebJobsStorage__accountName: 'stcuponeras' });
    expect(config.queues.serviceUri).toBe('https://stcuponeras.queue.core.windows.net');
  });
});

describe('local.settings.example.json', () => {
  // WEBSITE_SITE_NAME is set by Azure itself, never by hand.
  const example = JSON.parse(
    require('node:fs').readFileSync(require('node:path').join(__dirname, '../../local.settings.example.json'), 'utf8'),
  ) as { Values: Record<string, string> };

  test.each(SETTING_NAMES.filter((name) => name !== 'WEBSITE_SITE_NAME'))(
    'documents %s with an example value',
    (name) => {
      expect(Object.keys(example.Values)).toContain(name);
    },
  );

  test('its values (with the test-only parts filled in) form a valid development configuration', () => {
    expect(() => loadConfig({ ...example.Values, JWT_SECRET: example.Values.JWT_SECRET ?? '' })).not.toThrow();
  });
});
