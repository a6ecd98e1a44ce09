import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// Every test file gets its own data dir, a throwaway signing secret and the cheapest bcrypt cost
// the app accepts, so files never share state and run in parallel.
process.env.APP_ENV = 'test';
process.env.DATA_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'cuponeras-test-'));
process.env.JWT_SECRET = randomBytes(32).toString('hex');
process.env.BCRYPT_COST = '10';
process.env.CORS_ORIGINS = 'http://localhost:5173';
// Tests stand in for a trusted front end: the X-Forwarded-For they send is the client's address.
process.env.TRUSTED_PROXY_HOPS = '1';
// Many test users come from one address; test/component/quotas.test.ts proves the real defaults.
process.env.REGISTER_MAX_PER_CLIENT_PER_HOUR ??= '1000';
process.env.AzureWebJobsStorage ??= 'UseDevelopmentStorage=true';
