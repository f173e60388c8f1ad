// `npm test`: build, unit tests (mocha via tsx), the extension-host suites in a real VS Code
// (test/vscode/run.js), then the browser e2e against code-server (test/e2e/run.js). Every phase
// runs even when an earlier one failed (a build failure stops everything), prints its own
// `N passed, N failed` line, and the last line sums them: `total: N passed, N failed`.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const t0 = Date.now();
const secs = (t) => ((Date.now() - t) / 1000).toFixed(1);

/** Runs a command with its output shown live, in its own process group, ended (whole group)
 *  after `limitS` seconds: a hung phase must not hang CI. Resolves with exit code and output. */
function run(cmd, args, limitS) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, env: process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    child.stdout.on('data', (d) => { out += d; process.stdout.write(d); });
    child.stderr.on('data', (d) => { out += d; process.stderr.write(d); });
    const kill = (sig) => { try { process.kill(-child.pid, sig); } catch { /* gone */ } };
    const timer = setTimeout(() => {
      const note = `\n${cmd} ${args.join(' ')}: no result after ${limitS} s; stopped it\n`;
      out += note;
      process.stdout.write(note);
      kill('SIGTERM');
      setTimeout(() => kill('SIGKILL'), 5000).unref();
    }, limitS * 1000);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code: code ?? 1, out }); });
  });
}

// Wall-clock limits per phase, in seconds (env LSTM_LENS_PHASE_LIMIT_S overrides all three).
const limit = (s) => Number(process.env.LSTM_LENS_PHASE_LIMIT_S) || s;

/** The last match of `re` (with two count groups) in the output, or [0, 0]. */
function lastCounts(out, re) {
  let m, last = null;
  const g = new RegExp(re.source, 'gm');
  while ((m = g.exec(out))) last = m;
  return last ? [Number(last[1]), Number(last[2] ?? 0)] : null;
}

const phases = [];
function record(name, code, passed, failed, started) {
  if (code !== 0 && failed === 0) failed = 1;   // a phase that failed without a count still counts
  phases.push({ name, passed, failed });
  console.log(`${name}: ${passed} passed, ${failed} failed (${secs(started)} s)`);
}

console.log('=== build');
let t = Date.now();
const build = await run(process.execPath, ['scripts/build.mjs'], limit(300));
if (build.code !== 0) {
  console.log('build failed: nothing else can run');
  console.log('total: 0 passed, 1 failed');
  process.exit(1);
}
console.log(`build took ${secs(t)} s`);

console.log('=== unit tests (mocha)');
t = Date.now();
const unit = await run('npm', ['run', '--silent', 'test:unit'], limit(600));
{
  const passing = lastCounts(unit.out, /^\s*(\d+) passing/);
  const failing = lastCounts(unit.out, /^\s*(\d+) failing/);
  if (passing) record('unit', unit.code, passing[0], failing ? failing[0] : 0, t);
  else {
    // no summary (stopped, crashed): count the reporter's lines so far, plus one for the stop
    const ticks = (unit.out.match(/^\s*[✔✓]/gm) ?? []).length;
    const crosses = (unit.out.match(/^\s*\d+\) /gm) ?? []).length;
    record('unit', unit.code, ticks, crosses + 1, t);
  }
}

console.log('=== extension-host tests (real VS Code)');
t = Date.now();
const ext = await run(process.execPath, ['test/vscode/run.js'], limit(600));
{
  const c = lastCounts(ext.out, /^ext-host: (\d+) passed, (\d+) failed/) ?? [0, 0];
  record('ext-host', ext.code, c[0], c[1], t);
}

console.log('=== browser e2e (code-server + Chromium)');
t = Date.now();
const e2e = await run(process.execPath, ['test/e2e/run.js'], limit(600));
{
  const c = lastCounts(e2e.out, /^e2e: (\d+) passed, (\d+) failed/) ?? [0, 0];
  record('e2e', e2e.code, c[0], c[1], t);
}

console.log('=== browser e2e: the cell-activation panel (test/e2e/cells.js)');
t = Date.now();
const cellsE2e = await run(process.execPath, ['test/e2e/cells.js'], limit(600));
{
  const c = lastCounts(cellsE2e.out, /^e2e: (\d+) passed, (\d+) failed/) ?? [0, 0];
  record('e2e-cells', cellsE2e.code, c[0], c[1], t);
}

const passed = phases.reduce((a, p) => a + p.passed, 0);
const failed = phases.reduce((a, p) => a + p.failed, 0);
console.log(`\n${phases.map((p) => `${p.name}: ${p.passed} passed, ${p.failed} failed`).join('\n')}`);
console.log(`npm test took ${secs(t0)} s`);
console.log(`total: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
