import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { projectRoot } from '../shared/projectFiles';
import { BUNDLE_FILE } from './bundle-app';

/**
 * npm run package [-- DIR]: the Functions deployment package (default `.deploy/`), what azd zips
 * and uploads. The app bundled in one file (dist/app.js, its main), host.json, the files read
 * at run time, and node_modules with the production dependencies only — the exact versions
 * installed here, copied as `npm ls --omit=dev` lists them, so nothing is downloaded (the dev tree,
 * Azurite, playwright-core, TypeScript, jest, is left behind).
 */
const root = projectRoot();
const RUNTIME_FILES = ['host.json', 'openapi.json', 'package-lock.json', 'shared/data'];
// The app is one bundle (scripts/bundle-app.ts), the package's main; the map names the sources' lines.
const COMPILED_FILES = [BUNDLE_FILE, `${BUNDLE_FILE}.map`];

export function productionPackagePaths(): string[] {
  const out = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return [
    ...new Set(
      out
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line.startsWith(path.join(root, 'node_modules') + path.sep)),
    ),
  ];
}

export function buildPackage(target: string): { files: number; packages: number } {
  if (!fs.existsSync(path.join(root, BUNDLE_FILE)))
    throw new Error(`${BUNDLE_FILE} is missing: run npm run build first`);
  fs.rmSync(target, { recursive: true, force: true });
  fs.mkdirSync(target, { recursive: true });
  for (const rel of [...COMPILED_FILES, ...RUNTIME_FILES]) {
    fs.cpSync(path.join(root, rel), path.join(target, rel), { recursive: true });
  }
  // package.json without the dev tree and the scripts that need it.
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as Record<string, unknown>;
  delete manifest.devDependencies;
  delete manifest.scripts;
  manifest.main = BUNDLE_FILE;
  fs.writeFileSync(path.join(target, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');

  const packages = productionPackagePaths();
  for (const dir of packages) {
    const rel = path.relative(root, dir);
    // A nested package is copied with its parent; copying it again would only repeat the work.
    if (packages.some((other) => other !== dir && dir.startsWith(other + path.sep))) continue;
    fs.cpSync(dir, path.join(target, rel), {
      recursive: true,
      filter: (src) => !src.includes(`${path.sep}node_modules${path.sep}.bin`),
    });
  }
  return { files: countFiles(target), packages: packages.length };
}

function countFiles(dir: string): number {
  let n = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    n += entry.isDirectory() ? countFiles(path.join(dir, entry.name)) : 1;
  }
  return n;
}

if (require.main === module) {
  const target = path.resolve(process.argv[2] ?? path.join(root, '.deploy'));
  const { files, packages } = buildPackage(target);
  console.log(`Deployment package: ${target} (${packages} production packages, ${files} files)`);
}
