#!/usr/bin/env node
// Runs the extension-host suites (test/vscode/suite/*.test.ts) in a real VS Code through
// @vscode/test-electron's runTests, the standard route.
//
//   LSTM_LENS_VSCODE=download  runTests downloads desktop VS Code, as usual (needs the internet)
//   LSTM_LENS_VSCODE=shim      vscodeExecutablePath is test/harness/vscode-shim.js, which runs the
//                              same suites in code-server's bundled VS Code server, headless and
//                              offline (see test/harness/run-ext-tests.js)
//   default                    shim when code-server is installed in .vscode-test-tools, else download
//
// Needs dist/ built (npm run build). Prints `ext-host: N passed, N failed` last.
const fs = require('fs');
const os = require('os');
const path = require('path');
const esbuild = require('esbuild');
const { runTests } = require('@vscode/test-electron');
const { findCodeServer } = require('../harness/code-server');

const ROOT = path.resolve(__dirname, '..', '..');
const OUT = path.join(ROOT, 'out', 'test', 'vscode');

/** The suites run inside the extension host as plain CommonJS: bundle them (vscode and mocha stay external). */
async function bundleTests() {
  fs.rmSync(OUT, { recursive: true, force: true });
  const suiteDir = path.join(__dirname, 'suite');
  const entries = [path.join(__dirname, 'index.ts'),
    ...fs.readdirSync(suiteDir).filter((f) => f.endsWith('.ts')).map((f) => path.join(suiteDir, f))];
  await esbuild.build({
    entryPoints: entries, outbase: __dirname, outdir: OUT, bundle: true, platform: 'node', target: 'node20',
    format: 'cjs', external: ['vscode', 'mocha'], sourcemap: 'inline', logLevel: 'warning',
  });
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

(async () => {
  const t0 = Date.now();
  const dist = path.join(ROOT, 'dist', 'extension.js');
  if (!fs.existsSync(dist)) {
    console.error('dist/extension.js is missing: run `npm run build` first.');
    console.log('ext-host: 0 passed, 1 failed');
    process.exit(1);
  }
  await bundleTests();
  // A fresh copy of the fixture workspace: the tests write into it (exports) and its storage.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lstm-lens-ext-'));
  const workspace = path.join(tmp, 'ws');
  fs.cpSync(path.join(ROOT, 'test', 'fixtures', 'ws'), workspace, { recursive: true });

  const cs = findCodeServer();
  const mode = process.env.LSTM_LENS_VSCODE || (cs ? 'shim' : 'download');
  const options = {
    extensionDevelopmentPath: ROOT,
    extensionTestsPath: path.join(OUT, 'index.js'),
    launchArgs: [workspace, '--disable-extensions'],
    extensionTestsEnv: {},
  };
  if (mode === 'shim') {
    if (!cs) {
      console.error('LSTM_LENS_VSCODE=shim needs code-server: bash test/harness/install-code-server.sh 4.100.3 .vscode-test-tools');
      console.log('ext-host: 0 passed, 1 failed');
      process.exit(1);
    }
    options.vscodeExecutablePath = path.join(ROOT, 'test', 'harness', 'vscode-shim.js');
    options.extensionTestsEnv = { CS_SERVER_MAIN: cs.serverMain, CS_NODE: cs.node };
  } else {
    options.version = process.env.LSTM_LENS_VSCODE_VERSION || '1.100.3';
  }
  console.log(`extension-host tests in a real VS Code (${mode === 'shim' ? 'code-server route, offline' : 'downloaded desktop VS Code'})`);

  const tally = tallyOutput();
  let code = 0;
  try {
    await runTests(options);
  } catch (e) {
    code = 1;
    tally.restore();
    console.error(`extension-host run failed: ${e.message || e}`);
  }
  tally.restore();
  fs.rmSync(tmp, { recursive: true, force: true });
  const passed = tally.counts.passing ?? 0;
  let failed = tally.counts.failing;
  if (code !== 0 && failed === 0) failed = 1;   // the run failed without a mocha summary
  console.log(`extension-host tests took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  console.log(`ext-host: ${passed} passed, ${failed} failed`);
  process.exit(failed > 0 ? 1 : 0);
})();
