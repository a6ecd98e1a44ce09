/**
 * Two projects over one test tree: every suite on SQLite, and every suite that touches the
 * database again on the T-SQL engine named by MSSQL_TEST_CONNECTION (each test file in a fresh
 * database, see test/support/mssql-database.ts). Without that setting the T-SQL project is left
 * out and one line says so; with MSSQL_TESTS_REQUIRED=true (.ci/run) its absence is an error.
 */
const common = require('./test/jest.common.cjs');

// Under scripts/node22.sh the test files load the copy of better-sqlite3 built for Node 22.
const node22 = process.env.NODE22_BETTER_SQLITE3;

const sqlite = {
  ...common,
  displayName: 'sqlite',
  ...(node22 ? { moduleNameMapper: { ...common.moduleNameMapper, '^better-sqlite3$': node22 } } : {}),
  setupFiles: ['<rootDir>/test/setup-env.ts'],
  // The T-SQL walk-through and the T-SQL script run only on the T-SQL engine.
  testPathIgnorePatterns: [
    '/node_modules/',
    // The fault suite has its own command (npm run test:faults, jest.faults.config.js).
    '<rootDir>/test/faults/',
    '<rootDir>/test/e2e/tsql-engine.test.ts',
    '<rootDir>/test/contract/tsql-script.test.ts',
  ],
};

const mssql = {
  ...common,
  displayName: 'mssql',
  // The suites that reach the database; unit tests and the quick-start test (SQLite by definition) run once.
  testMatch: [
    '<rootDir>/test/contract/**/*.test.ts',
    '<rootDir>/test/component/**/*.test.ts',
    '<rootDir>/test/e2e/{api-contract,local-host,tsql-engine}.test.ts',
  ],
  // tsql-capture records every statement sent, for SQL Server's own parser (npm run check:tsql).
  setupFiles: ['<rootDir>/test/setup-env.ts', '<rootDir>/test/support/tsql-capture.ts'],
  setupFilesAfterEnv: ['<rootDir>/test/support/mssql-database.ts'],
  globalSetup: '<rootDir>/test/support/mssql-global-setup.ts',
  globalTeardown: '<rootDir>/test/support/mssql-global-teardown.ts',
};

const hasMssql = Boolean(process.env.MSSQL_TEST_CONNECTION);
if (!hasMssql) {
  if (process.env.MSSQL_TESTS_REQUIRED === 'true') {
    throw new Error(
      'MSSQL_TESTS_REQUIRED=true but MSSQL_TEST_CONNECTION is not set: the T-SQL suites would be skipped',
    );
  }
  console.log(
    'T-SQL engine suites skipped: set MSSQL_TEST_CONNECTION (e.g. Babelfish from ../shared/babelfish, as .ci/run does, or SQL Server 2022 as in .github/workflows/sqlserver.yml) to run them.',
  );
}

/** @type {import('jest').Config} */
module.exports = {
  testTimeout: 30000,
  maxWorkers: 2,
  projects: hasMssql ? [sqlite, mssql] : [sqlite],
};
