import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { projectRoot } from '../shared/projectFiles';

/**
 * After a crash (issue #32): the fault suite's kill -9 scenario (test/faults/crash.test.ts: 320
 * payments, the host and its Azurite killed after 150 answers, `npm start` again with the
 * production 300 s delivery lease) run once by jest, and the figures it reports read back from
 * test-artifacts/faults/crash.json. The scenario lives in one place; the bench only times it
 * again on demand. Target: every receipt and notification within 60 s of the restart.
 *
 *   npm run bench:crash        (also the last part of npm run bench; BENCH_CRASH=0 skips it)
 */
export interface CrashFigures {
  /** Seconds from the restart until every receipt and notification had arrived. */
  redeliverySeconds: number;
  figures: Record<string, string | number>;
}

export function benchCrash(): CrashFigures {
  const root = projectRoot();
  const figuresFile = path.join(root, 'test-artifacts', 'faults', 'crash.json');
  fs.rmSync(figuresFile, { force: true });
  const run = spawnSync(
    process.execPath,
    [
      path.join(root, 'node_modules', 'jest', 'bin', 'jest.js'),
      '-c',
      'jest.faults.config.js',
      '--runInBand',
      'test/faults/crash.test.ts',
    ],
    { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  if (!fs.existsSync(figuresFile))
    throw new Error(`the crash scenario reported nothing (exit ${run.status}):\n${run.stderr.slice(-4000)}`);
  const { figures } = JSON.parse(fs.readFileSync(figuresFile, 'utf8')) as { figures: Record<string, string | number> };
  if (run.status !== 0)
    console.error(`the crash scenario failed an assertion (exit ${run.status}); its figures follow`);
  return { redeliverySeconds: Number(figures['seconds until every message arrived']), figures };
}

if (require.main === module) {
  const result = benchCrash();
  console.log(JSON.stringify(result, null, 2));
}
