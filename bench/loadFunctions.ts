import fs from 'node:fs';
import path from 'node:path';

/**
 * What a Functions worker does when an instance starts cold: load the app's `main`, which
 * registers every function. With no argument, the deployment's one file (`dist/app.js`, the
 * package's main: scripts/bundle-app.ts); with `per-file`, every `dist/functions/<name>/index.js`
 * as the local host loads them. Timed as a whole process against `node -e 0` by the cold-start
 * benchmark; exits as soon as the files are loaded.
 */
const dist = path.join(__dirname, '..');
if (process.argv[2] === 'per-file') {
  const functionsDir = path.join(dist, 'functions');
  for (const name of fs.readdirSync(functionsDir)) {
    const entry = path.join(functionsDir, name, 'index.js');
    if (fs.existsSync(entry)) require(entry);
  }
} else {
  require(path.join(dist, 'app.js'));
}
