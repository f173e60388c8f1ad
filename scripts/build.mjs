// Builds dist/: esbuild bundles (extension, CLI, workers) and the WebAssembly kernels.
// usage: node scripts/build.mjs [--watch]
import * as esbuild from 'esbuild';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
mkdirSync(dist, { recursive: true });

/** One bundle per entry: [source, output name]. Node bundles share dist/ so that each finds
 *  its siblings (workers, kernels.wasm) next to itself through __dirname. */
const entries = [
  ['src/extension/extension.ts', 'extension'],
  ['src/cli/main.ts', 'cli'],
  ['src/training/worker.ts', 'training-worker'],
  ['src/cells/worker.ts', 'cells-worker'],
  ['src/complete/worker.ts', 'completion-worker'],
  ['src/training/grad-worker.ts', 'grad-worker'],
].filter(([src]) => existsSync(join(root, src)));

const common = {
  bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: true,
  external: ['vscode'], logLevel: 'warning', absWorkingDir: root,
};
await Promise.all(entries.map(([src, out]) => esbuild.build({
  ...common, entryPoints: [src], outfile: join(dist, out + '.js'),
  banner: out === 'cli' ? { js: '#!/usr/bin/env node' } : undefined,
})));

// Webview scripts run in the browser: bundle them as IIFEs into dist/media.
const webviews = ['media/training-panel.ts', 'media/cells-panel.ts'].filter((f) => existsSync(join(root, f)));
await Promise.all(webviews.map((src) => esbuild.build({
  bundle: true, platform: 'browser', target: 'es2022', format: 'iife', absWorkingDir: root,
  entryPoints: [src], outdir: join(dist, 'media'), logLevel: 'warning',
})));

// WebAssembly kernels (AssemblyScript), compiled at build time; the .wasm ships in dist/.
const asmBuild = join(root, 'src/engine/wasm/build-wasm.mjs');
if (existsSync(asmBuild)) execFileSync(process.execPath, [asmBuild, dist], { stdio: 'inherit' });

// tree-sitter runtime and the grammars the cell labels use (src/cells/labels/grammars.json), not every
// grammar the package has; the runtime's JS is in the bundles. The folder is emptied first, so a
// grammar that is no longer used does not linger from an earlier build.
const ts = join(root, 'node_modules/@vscode/tree-sitter-wasm/wasm');
if (existsSync(ts)) {
  const out = join(dist, 'tree-sitter');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out);
  const stems = new Set(Object.values(JSON.parse(readFileSync(join(root, 'src/cells/labels/grammars.json'), 'utf8'))));
  const wasm = ['tree-sitter.wasm', ...[...stems].map((stem) => `tree-sitter-${stem}.wasm`)];
  for (const f of wasm) copyFileSync(join(ts, f), join(out, f));   // a grammar the package lacks fails the build
}

console.log(`built ${entries.length} bundles, ${webviews.length} webview scripts into dist/`);
