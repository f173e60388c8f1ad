// What the .vsix carries: vsce's own file listing (its programmatic listFiles, offline) of the
// staging folder that `npm run package` packages. Only what runs goes in: no TypeScript sources,
// no source maps, no tests, no tree-sitter grammar nothing loads; and every file the extension
// loads at run time is there.
// Needs dist/ built (`npm run build`), as npm test does before the unit tests.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { listFiles, PackageManager } from '@vscode/vsce';
import { GRAMMAR_FILES } from '../../src/cells/labels/languages';

const { ROOT, stageVsix } = require('../harness/code-server.js') as { ROOT: string; stageVsix: () => string };

/** File names the run-time code opens by a literal name (workers, wasm, webview scripts and
 *  styles): every quoted 'name.js' / 'name.css' / 'name.wasm' in the extension and the Node
 *  code it runs, so a new worker or stylesheet that is left out of the package fails here. */
function namesLoadedBySource(): string[] {
  const names = new Set<string>();
  const src = path.join(ROOT, 'src');
  for (const f of fs.readdirSync(src, { recursive: true, encoding: 'utf8' })) {
    if (!f.endsWith('.ts') || f.startsWith(`cli${path.sep}`) || f.includes(`${path.sep}assembly${path.sep}`)) continue;
    for (const m of fs.readFileSync(path.join(src, f), 'utf8').matchAll(/'([\w.-]+\.(?:js|css|wasm))'/g)) names.add(m[1]);
  }
  return [...names];
}

describe('the .vsix contents (vsce listFiles)', function () {
  this.timeout(60000);
  let files: string[];

  before(async function () {
    if (!fs.existsSync(path.join(ROOT, 'dist', 'extension.js'))) throw new Error('dist/ is not built: run `npm run build` first');
    const stage = stageVsix();
    try {
      files = (await listFiles({ cwd: stage, packageManager: PackageManager.None })).map((f) => f.replace(/\\/g, '/')).sort();
    } finally {
      fs.rmSync(stage, { recursive: true, force: true });
    }
  });

  it('has no TypeScript sources, source maps, tests or sources', () => {
    const bad = files.filter((f) => /\.(ts|tsx|mts|cts|map)$/.test(f) || /^(src|test|bench|scripts|node_modules)\//.test(f));
    assert.deepEqual(bad, []);
  });

  it('has nothing outside dist/, media/*.css and the manifest, readme and license', () => {
    const extra = files.filter((f) => !/^(dist\/|media\/[\w-]+\.css$|package\.json$|README\.md$|LICENSE$)/.test(f));
    assert.deepEqual(extra, []);
  });

  it('has the extension bundle, every worker, the kernels, tree-sitter, the webview files and the license', () => {
    const main = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { main: string }).main;
    const required = [
      path.posix.normalize(main),
      ...['training-worker', 'cells-worker', 'completion-worker', 'grad-worker'].map((w) => `dist/${w}.js`),
      ...['scalar', 'simd', 'relaxed'].map((v) => `dist/kernels-${v}.wasm`),
      'dist/tree-sitter/tree-sitter.wasm',
      ...[...new Set(Object.values(GRAMMAR_FILES))].map((stem) => `dist/tree-sitter/tree-sitter-${stem}.wasm`),
      'dist/media/training-panel.js', 'dist/media/cells-panel.js',
      'media/webview.css', 'media/training-panel.css', 'media/cells-panel.css',
      'LICENSE',   // package.json says MIT: the text goes with it
    ];
    assert.deepEqual(required.filter((f) => !files.includes(f)), []);
    const shipped = new Set(files.map((f) => path.posix.basename(f)));
    assert.deepEqual(namesLoadedBySource().filter((n) => !shipped.has(n)), [], 'a file the code opens by name is not packaged');
  });

  it('has only the tree-sitter grammars the cell labels use (GRAMMAR_FILES), none of the others the package brings', () => {
    const used = new Set(Object.values(GRAMMAR_FILES).map((stem) => `tree-sitter-${stem}.wasm`));
    const grammars = files.filter((f) => f.startsWith('dist/tree-sitter/')).map((f) => path.posix.basename(f)).filter((f) => f !== 'tree-sitter.wasm');
    assert.deepEqual(grammars.filter((f) => !used.has(f)), [], 'grammars that nothing loads');
    assert.deepEqual(grammars.sort(), [...used].sort());
    // the package does bring more (so this test means something): ini, regex, powershell, ...
    const available = fs.readdirSync(path.join(ROOT, 'node_modules/@vscode/tree-sitter-wasm/wasm')).filter((f) => /^tree-sitter-.+\.wasm$/.test(f));
    assert.ok(available.some((f) => !used.has(f)), available.join(', '));
  });
});
