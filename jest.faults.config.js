/**
 * The fault suite (`npm run test:faults`, also run by .ci/run): the app started as `npm start`
 * starts it, then killed, cut off from its queue, locked out of its database and fuzzed. Each
 * test prints its figures; the reporter sums them up at the end (test-artifacts/faults/).
 * `npm run test:faults` runs files.test.ts (health bounds while files are applied) alone, after
 * the others, so that no other app on the same two cores is being fuzzed or killed meanwhile.
 */
const common = require('./test/jest.common.cjs');

/** @type {import('jest').Config} */
module.exports = {
  ...common,
  displayName: 'faults',
  setupFiles: ['<rootDir>/test/setup-env.ts'],
  testMatch: ['<rootDir>/test/faults/**/*.test.ts'],
  testTimeout: 240_000,
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/test/faults/figures-reporter.cjs'],
};
