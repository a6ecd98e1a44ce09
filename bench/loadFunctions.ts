import fs from 'node:fs';
import path from 'node:path';

/**
 * What a Functions worker does when an instance starts cold: load every function's compiled
 * entry (`dist/functions/<name>/index.js`), which registers it. Timed as a whole process against
 * `node -e 0` by the cold-start benchmark; exits as soon as the files are loaded.
 */
const functionsDir = path.join(__dirname, '..', 'functions');
for (const name of fs.readdirSync(functionsDir)) {
  const entry = path.join(functionsDir, name, 'index.js');
  if (fs.existsSync(entry)) require(entry);
}
