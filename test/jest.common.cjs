/** What every jest configuration here shares: TypeScript through swc, and the local Functions stand-in. */
const path = require('node:path');

module.exports = {
  testEnvironment: 'node',
  rootDir: path.join(__dirname, '..'),
  roots: ['<rootDir>/test'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } },
    ],
  },
  // The local host's stand-in for the module the Functions worker provides (see local/functionsCore.ts).
  moduleNameMapper: { '^@azure/functions-core$': '<rootDir>/local/functionsCore.ts' },
};
