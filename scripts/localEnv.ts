import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { projectRoot } from '../shared/projectFiles';

/**
 * Settings for local runs, as `func start` reads them: local.settings.json "Values" (if present)
 * under the environment, which wins. In development a JWT secret is made once per data dir, so
 * no example secret is ever used and tokens survive restarts, and CORS admits the usual frontend
 * dev-server origins unless CORS_ORIGINS says otherwise.
 */
export function loadLocalSettings(env: NodeJS.ProcessEnv = process.env): void {
  const file = path.join(projectRoot(), 'local.settings.json');
  if (fs.existsSync(file)) {
    const values = (JSON.parse(fs.readFileSync(file, 'utf8')) as { Values?: Record<string, string> }).Values ?? {};
    for (const [key, value] of Object.entries(values)) env[key] ??= value;
  }
  env.DATA_DIR ??= path.join(projectRoot(), '.data');
  const appEnv = env.APP_ENV ?? 'development';
  // The usual frontend dev servers (Vite, Next/CRA, Angular) may call the local API out of the box.
  if (appEnv !== 'production') env.CORS_ORIGINS ??= 'http://localhost:5173,http://localhost:3000,http://localhost:4200';
  if (!env.JWT_SECRET && env.JWT_ALGORITHM !== 'RS256' && appEnv !== 'production') {
    const secretFile = path.join(env.DATA_DIR, 'jwt-secret');
    fs.mkdirSync(env.DATA_DIR, { recursive: true });
    if (!fs.existsSync(secretFile))
      fs.writeFileSync(secretFile, randomBytes(48).toString('base64url'), { mode: 0o600 });
    env.JWT_SECRET = fs.readFileSync(secretFile, 'utf8').trim();
  }
}
