// One build script for every entry point: the extension host, the CLI, the diff worker, the
// webview and (with --tests) the unit-test bundles. Type checking is separate (`npm run typecheck`).
import * as esbuild from 'esbuild';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const args = new Set(process.argv.slice(2));
const watch = args.has('--watch');
const production = args.has('--production');
const withTests = args.has('--tests');

// vega-canvas's node build requires the optional native `canvas` package; the browser build
// degrades gracefully and is all we need for SVG rendering.
const vegaCanvasBrowser = require.resolve('vega-canvas').replace(/vega-canvas\.node\.js$/, 'vega-canvas.browser.js');

/** Compiles `*.wat.mjs` modules (which export WebAssembly text) to binary, embedded in the bundle. */
const watPlugin = {
  name: 'wat',
  setup(build) {
    build.onLoad({ filter: /\.wat\.mjs$/ }, async (args) => {
      const wabt = await (await import('wabt')).default();
      const { default: text } = await import(`${pathToFileURL(args.path).href}?t=${Date.now()}`);
      const module = wabt.parseWat(args.path, text, { simd: true });
      try {
        module.validate();
        return { contents: module.toBinary({}).buffer, loader: 'binary' };
      } finally {
        module.destroy();
      }
    });
  },
};

const nodeOptions = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: !production,
  minify: production,
  external: ['vscode', 'onnxruntime-node', '@resvg/resvg-js'],
  alias: { 'vega-canvas': vegaCanvasBrowser },
  logLevel: 'warning',
  plugins: [watPlugin],
};

/** Entry points loaded by file name, next to the bundle that starts them: the diff's worker threads and the extension's job runner process. */
const workerEntries = { diffWorker: 'src/core/diff/diffWorker.ts', jobRunner: 'src/core/jobs/jobRunner.ts' };

const builds = [
  {
    ...nodeOptions,
    entryPoints: { extension: 'src/extension.ts', cli: 'src/cli/launch.ts', bench: 'bench/bench.ts', ...workerEntries },
    outdir: 'dist',
  },
  {
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    sourcemap: !production,
    minify: production,
    entryPoints: { webview: 'webview/main.ts' },
    outdir: 'dist',
    logLevel: 'warning',
  },
];

// Parallel sessions in one tree can each build their own test folder (two levels deep, like out/unit).
const testOutdir = process.env.FRANKENLENS_TEST_OUT ?? 'out/unit';

if (withTests) {
  rmSync(testOutdir, { recursive: true, force: true });
  const testEntries = {};
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.test.ts')) testEntries[path.slice('test/'.length, -'.ts'.length).replaceAll('/', '_')] = path;
    }
  };
  walk('test');
  builds.push({ ...nodeOptions, sourcemap: true, minify: false, entryPoints: { ...testEntries, ...workerEntries }, outdir: testOutdir });
}

if (watch) {
  for (const options of builds) await (await esbuild.context(options)).watch();
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}
