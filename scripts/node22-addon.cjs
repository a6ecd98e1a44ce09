/**
 * Preloaded (NODE_OPTIONS=--require) by scripts/node22.sh test in Node 22 and every process it
 * starts: `require('better-sqlite3')` resolves to the copy of the package built for Node 22
 * (NODE22_BETTER_SQLITE3), so node_modules keeps the machine's own addon and Node 20 processes
 * running at the same time (the fault suite in .ci/run) load theirs. jest resolves modules itself:
 * jest.config.js maps the name for the test files the same way.
 */
const Module = require('node:module');

const copy = process.env.NODE22_BETTER_SQLITE3;
if (copy) {
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function resolveBetterSqlite3(request, ...rest) {
    return resolve.call(this, request === 'better-sqlite3' ? copy : request, ...rest);
  };
}
