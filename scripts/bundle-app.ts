import fs from 'node:fs';
import path from 'node:path';

import type * as Esbuild from 'esbuild';

import { projectRoot } from '../shared/projectFiles';

/**
 * The deployment's one file: every function module, the shared code and zod bundled into
 * `dist/app.js`, which the package's `main` names (scripts/package-app.ts). A cold Functions
 * worker then reads one file instead of resolving and compiling ~280 (the functions, shared/ and
 * zod's 95 modules, 64 of them locales the app never uses: bundled from zod's ES modules, only
 * the Spanish one is kept). Every other package stays an ordinary `require` from node_modules,
 * so the heavy ones (pdfkit, tedious, the Azure SDKs…) still load on first use, and
 * `@azure/functions-core` is still the worker's own. The local host and the tests load the
 * per-file build (`dist/functions/*`), which is the same source; test/e2e/deploy-package.test.ts
 * serves requests from this file.
 */
export const BUNDLE_FILE = 'dist/app.js';

/** The packages the bundle includes; everything else the app requires is left to node_modules. */
const BUNDLED_PACKAGES = new Set(['zod']);

/**
 * zod's locales the app uses: English, zod's default, which it sets when it loads, and Spanish,
 * set by functions/appStart. zod's namespaces (`z.locales`, `core.locales`) re-export all ~60,
 * which a namespace keeps whole; this plugin gives them these two instead.
 */
const ZOD_LOCALES = ['en', 'es'];

function zodLocalesPlugin(root: string): Esbuild.Plugin {
  const localesDir = path.join(root, 'node_modules/zod/v4/locales');
  return {
    name: 'zod-locales',
    setup(build) {
      build.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
        args.importer.includes(`${path.sep}node_modules${path.sep}zod${path.sep}`)
          ? { path: 'zod-locales', namespace: 'zod-locales' }
          : undefined,
      );
      build.onLoad({ filter: /.*/, namespace: 'zod-locales' }, () => ({
        contents: ZOD_LOCALES.map((code) => `export { default as ${code} } from './${code}.js';`).join('\n'),
        resolveDir: localesDir,
        loader: 'js',
      }));
    },
  };
}

export function functionEntries(root = projectRoot()): string[] {
  const dir = path.join(root, 'functions');
  return fs
    .readdirSync(dir)
    .filter((name) => fs.existsSync(path.join(dir, name, 'index.ts')))
    .sort()
    .map((name) => `functions/${name}/index.ts`);
}

export async function bundleApp(
  root = projectRoot(),
  outfile = path.join(root, BUNDLE_FILE),
): Promise<Esbuild.Metafile> {
  const esbuild = require('esbuild') as typeof Esbuild; // eslint-disable-line @typescript-eslint/no-require-imports -- a dev tool, loaded only by the build
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  const external = [...Object.keys(manifest.dependencies), ...Object.keys(manifest.devDependencies)]
    .filter((name) => !BUNDLED_PACKAGES.has(name))
    .flatMap((name) => [name, `${name}/*`])
    .concat('@azure/functions-core');
  const result = await esbuild.build({
    stdin: {
      // In the order the host loads the per-file build: the modules register their functions as they load.
      contents: functionEntries(root)
        .map((entry) => `import './${entry}';`)
        .join('\n'),
      resolveDir: root,
      sourcefile: 'app.ts',
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile,
    external,
    plugins: [zodLocalesPlugin(root)],
    sourcemap: true,
    sourcesContent: false,
    metafile: true,
    logLevel: 'warning',
  });
  return result.metafile;
}

if (require.main === module) {
  bundleApp().then(
    (metafile) => {
      const output = Object.entries(metafile.outputs).find(([file]) => file.endsWith('.js'))?.[1];
      const kib = ((output?.bytes ?? 0) / 1024).toFixed(0);
      console.log(`${BUNDLE_FILE}: ${Object.keys(output?.inputs ?? {}).length} modules, ${kib} KiB`);
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
