// Type-aware lint, after the Azure Functions samples: recommended type-checked rules, eqeqeq,
// return-await in try/catch, sorted imports. `npm run lint` (part of `npm test`).
import js from '@eslint/js';
import simpleImportSort from 'eslint-plugin-simple-import-sort';
import tseslint from 'typescript-eslint';

const DRIVERS = [
  { name: 'knex', message: 'Controllers and functions use DbOrTx and the models, not knex itself.' },
  { name: 'tedious', message: 'The driver belongs to shared/clients/sql.client.ts.' },
  { name: 'better-sqlite3', message: 'The driver belongs to shared/clients/sql.client.ts.' },
];
const DRIVER_ERRORS = {
  group: ['**/clients/sql.client'],
  importNames: ['isUniqueViolation', 'isTransientSqlError', 'isTsql'],
  message: "Driver errors are the models' business: ask them for an outcome (or use inTransactionRacing).",
};

export default tseslint.config(
  {
    ignores: [
      '.deploy/**',
      '.tools/', // Node 22, the NuGet tools and the better-sqlite3 copy scripts/node22.sh builds
      'dist/',
      'node_modules/',
      'client/',
      'coverage/',
      'test-artifacts/',
      '**/*.cjs',
      '**/*.mjs',
      'jest.config.js',
      'jest.faults.config.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { 'simple-import-sort': simpleImportSort },
    rules: {
      eqeqeq: 'error',
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      'simple-import-sort/imports': 'error',
      'simple-import-sort/exports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      // Route handlers and timers are async by contract even when a body has nothing to await.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // The layers (README, "Layout"): functions → controllers → models → clients. Driver details
    // (knex, tedious, better-sqlite3, the SQL client's error tests) stay in models and clients;
    // controllers get outcomes from the models and name transactions DbOrTx.
    files: ['functions/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: DRIVERS, patterns: [DRIVER_ERRORS] }] },
  },
  {
    files: ['shared/controllers/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: DRIVERS,
          patterns: [
            DRIVER_ERRORS,
            { group: ['**/http/*'], message: 'Controllers sit below http/: throw AppError (shared/errors.ts).' },
          ],
        },
      ],
    },
  },
  {
    // Below the controllers nothing imports them, nor http/ or the views.
    files: ['shared/models/**/*.ts', 'shared/clients/**/*.ts', 'shared/formats/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/controllers/*', '**/http/*', '**/views/*', '**/functions/*'],
              message: 'Arrows point down: functions → controllers → models → clients.',
            },
            {
              group: ['**/sql/migrations/*'],
              message: 'Migrations are frozen history; models hold their own constants.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      // Tests and benchmarks read parsed JSON bodies field by field.
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
);
