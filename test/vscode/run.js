#!/usr/bin/env node
// Runs the extension-host suites in a real VS Code through @vscode/test-electron's runTests, the
// standard route, in three windows on fresh copies of the fixtures:
//   suite/*.test.ts      test/fixtures/ws, the workspace trusted (trust turned off, as runTests does)
//   untrusted/*.test.ts  test/fixtures/ws, workspace trust on and the folder not trusted (Restricted
//                        Mode); on the code-server route only: runTests always passes
//                        --disable-workspace-trust to desktop VS Code, so the download route skips
//                        this window (and says so)
//   multiroot/*.test.ts  a multi-root workspace: a .code-workspace file (MULTI_ROOT below) whose two
//                        folders are copies of test/fixtures/ws and test/fixtures/lua-lib, with the
//                        tiny-model settings in the file; code-server opens it with ?workspace=,
//                        desktop VS Code from the file's path
//
//   default (shim)             vscodeExecutablePath is test/harness/vscode-shim.js, which runs the
//                              suites in code-server's bundled VS Code server, headless and offline
//                              (see test/harness/run-ext-tests.js); needs code-server in
//                              .vscode-test-tools (scripts/setup-test-tools.sh installs it)
//   LSTM_LENS_VSCODE=download  opt-in: runTests downloads desktop VS Code, as usual (needs the
//                              internet); never chosen on its own, so a machine without
//                              code-server gets the set-up command, not a download attempt
//
// LSTM_LENS_SUITES=<regex> runs only the suite files whose names match (e.g. '02|06', or
// 'untrusted'; the suites of a window share it in file-name order, so include the ones a suite
// builds on).
// Needs dist/ built (npm run build). Prints `ext-host: N passed, N failed, N skipped` last (all
// windows; mocha's pending tests are the skipped ones).
const fs = require('fs');
const os = require('os');
const path = require('path');
const esbuild = require('esbuild');
const { runTests } = require('@vscode/test-electron');
const { findCodeServer } = require('../harness/code-server');

const ROOT = path.resolve(__dirname, '..', '..');
const OUT = path.join(ROOT, 'out', 'test');

/** The windows: the folder of their suites, and where the bundled tests go. */
const WINDOWS = [
  { name: 'trusted', suites: path.join(__dirname, 'suite'), out: path.join(OUT, 'vscode') },
  { name: 'untrusted', suites: path.join(__dirname, 'untrusted'), out: path.join(OUT, 'vscode-untrusted'), untrusted: true },
  { name: 'multi-root', suites: path.join(__dirname, 'multiroot'), out: path.join(OUT, 'vscode-multiroot'), multiRoot: true },
];

/** The multi-root window's workspace file: two fixture folders (copied beside it, so their names
 *  are the folders' names in the corpus headers) and the settings of a tiny model that trains
 *  for seconds (in the workspace file: a folder's own .vscode/settings.json does not set
 *  window-wide settings in a multi-root workspace). */
const MULTI_ROOT = {
  folders: ['ws', 'lua-lib'],
  settings: {
    'lstmLens.cell': 'lstm',
    'lstmLens.layers': 1,
    'lstmLens.hiddenSize': 32,
    'lstmLens.sequenceLength': 32,
    'lstmLens.batchSize': 8,
    'lstmLens.learningRate': 0.005,
    'lstmLens.timeBudgetMinutes': 0.1,
    'lstmLens.maxCorpusMB': 1,
  },
};

/** A fresh copy of the window's workspace under tmp; returns what to open (a folder or a
 *  .code-workspace file). */
function makeWorkspace(win, tmp) {
  const fixtures = path.join(ROOT, 'test', 'fixtures');
  if (!win.multiRoot) {
    const workspace = path.join(tmp, 'ws');
    fs.cpSync(path.join(fixtures, 'ws'), workspace, { recursive: true });
    return workspace;
  }
  const dir = path.join(tmp, 'multiroot');
  for (const f of MULTI_ROOT.folders) fs.cpSync(path.join(fixtures, f), path.join(dir, f), { recursive: true });
  const file = path.join(dir, 'multiroot.code-workspace');
  fs.writeFileSync(file, JSON.stringify({ folders: MULTI_ROOT.folders.map((f) => ({ path: f })), settings: MULTI_ROOT.settings }, null, 2));
  return file;
}

/** The suites run inside the extension host as plain CommonJS: bundle them (vscode and mocha stay
 *  external) as <out>/index.js and <out>/suite/*.js. Returns how many suite files there are. */
async function bundleTests(win) {
  fs.rmSync(win.out, { recursive: true, force: true });
  const only = new RegExp(process.env.LSTM_LENS_SUITES || '.');
  const suites = fs.readdirSync(win.suites).filter((f) => f.endsWith('.ts') && only.test(f)).map((f) => path.join(win.suites, f));
  if (suites.length === 0) return 0;
  const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', external: ['vscode', 'mocha'], sourcemap: 'inline', logLevel: 'warning' };
  await esbuild.build({ ...common, entryPoints: [path.join(__dirname, 'index.ts')], outdir: win.out });
  await esbuild.build({ ...common, entryPoints: suites, outdir: path.join(win.out, 'suite') });
  return suites.length;
}

/** Mirrors the child's output and keeps mocha's counts (the shim's own summary line is replaced by ours). */
function tallyOutput() {
  const counts = { passing: null, failing: 0, pending: 0 };
  const write = process.stdout.write.bind(process.stdout);
  let partial = '';
  process.stdout.write = (chunk, ...rest) => {
    const text = partial + chunk.toString();
    const lines = text.split('\n');
    partial = lines.pop();
    const keep = [];
    for (const line of lines) {
      let m;
      if ((m = /^\s*(\d+) passing/.exec(line))) counts.passing = Number(m[1]);
      if ((m = /^\s*(\d+) failing/.exec(line))) counts.failing = Number(m[1]);
      if ((m = /^\s*(\d+) pending/.exec(line))) counts.pending = Number(m[1]);
      if (!/^ext-host: \d+ passed/.test(line)) keep.push(line + '\n');
    }
    return keep.length ? write(keep.join(''), ...rest) : true;
  };
  return { counts, restore: () => { if (partial) write(partial + '\n'); process.stdout.write = write; } };
}

/** Runs one window's suites on a fresh copy of its fixture workspace; returns mocha's counts. */
async function runWindow(win, mode, cs) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lstm-lens-ext-'));
  const workspace = makeWorkspace(win, tmp);
  const options = {
    extensionDevelopmentPath: ROOT,
    extensionTestsPath: path.join(win.out, 'index.js'),
    launchArgs: [workspace, '--disable-extensions'],
    extensionTestsEnv: {},
  };
  if (mode === 'shim') {
    options.vscodeExecutablePath = path.join(ROOT, 'test', 'harness', 'vscode-shim.js');
    options.extensionTestsEnv = { CS_SERVER_MAIN: cs.serverMain, CS_NODE: cs.node, ...(win.untrusted ? { EXT_TEST_UNTRUSTED: '1' } : {}) };
  } else {
    options.version = process.env.LSTM_LENS_VSCODE_VERSION || '1.100.3';
  }
  const tally = tallyOutput();
  let code = 0;
  try {
    await runTests(options);
  } catch (e) {
    code = 1;
    tally.restore();
    console.error(`extension-host run (${win.name} workspace) failed: ${e.message || e}`);
  }
  tally.restore();
  fs.rmSync(tmp, { recursive: true, force: true });
  const passed = tally.counts.passing ?? 0;
  let failed = tally.counts.failing;
  if (code !== 0 && failed === 0) failed = 1;   // the run failed without a mocha summary
  return { passed, failed, skipped: tally.counts.pending };
}

(async () => {
  const t0 = Date.now();
  const dist = path.join(ROOT, 'dist', 'extension.js');
  if (!fs.existsSync(dist)) {
    console.error('dist/extension.js is missing: run `npm run build` first.');
    console.log('ext-host: 0 passed, 1 failed, 0 skipped');
    process.exit(1);
  }
  const cs = findCodeServer();
  const mode = process.env.LSTM_LENS_VSCODE || 'shim';
  if (!['shim', 'download'].includes(mode)) {
    console.error(`LSTM_LENS_VSCODE is "${mode}": use shim (the default) or download.`);
    console.log('ext-host: 0 passed, 1 failed, 0 skipped');
    process.exit(1);
  }
  if (mode === 'shim' && !cs) {
    console.error('The extension-host suites run in code-server, which is not installed: run `bash scripts/setup-test-tools.sh` (or set LSTM_LENS_VSCODE=download to download desktop VS Code instead).');
    console.log('ext-host: 0 passed, 1 failed, 0 skipped');
    process.exit(1);
  }
  let passed = 0, failed = 0, skipped = 0;
  for (const win of WINDOWS) {
    const files = await bundleTests(win);
    if (files === 0) continue;
    if (win.untrusted && mode !== 'shim') {
      // counted as one skipped test per suite file: their tests are not known without running them
      console.log(`untrusted-workspace suites: ${files} skipped (runTests passes --disable-workspace-trust to desktop VS Code; they run on the code-server route)`);
      skipped += files;
      continue;
    }
    console.log(`extension-host tests in a real VS Code, ${win.name} workspace (${mode === 'shim' ? 'code-server route, offline' : 'downloaded desktop VS Code'})`);
    const r = await runWindow(win, mode, cs);
    passed += r.passed;
    failed += r.failed;
    skipped += r.skipped;
  }
  console.log(`extension-host tests took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  console.log(`ext-host: ${passed} passed, ${failed} failed, ${skipped} skipped`);
  process.exit(failed > 0 ? 1 : 0);
})();
