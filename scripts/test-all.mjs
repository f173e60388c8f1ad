// `npm test`: set-up, build, unit tests (mocha via tsx), the extension-host suites in a real VS Code
// (test/vscode/run.js), then the browser e2e against code-server (test/e2e/*.js).
//
// Set-up first (scripts/setup-test-tools.sh): Chromium, PyTorch and code-server, installed when
// missing, or one sentence naming the install command and a stop. Every phase runs even when an
// earlier one failed (a build failure stops everything), prints its own
// `N passed, N failed, N skipped` line, and the last line sums them:
// `total: N passed, N failed, N skipped`. Exit code 0 only when nothing failed and nothing was
// skipped: a skipped test is one that should have run. LSTM_LENS_ALLOW_SKIPS=1 lets skips pass.
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

// Wall-clock limits per phase, in seconds (env LSTM_LENS_PHASE_LIMIT_S overrides all of them).
const limit = (s) => Number(process.env.LSTM_LENS_PHASE_LIMIT_S) || s;

/** The numbers of the last line of `out` that `re` matches (one capture group per number; a
 *  group that did not take part counts 0), or null when no line matches. */
function lastCounts(out, re) {
  let m, last = null;
  const g = new RegExp(re.source, 'gm');
  while ((m = g.exec(out))) last = m;
  return last ? last.slice(1).map((x) => Number(x ?? 0)) : null;
}

const phases = [];
const counts = (p) => `${p.passed} passed, ${p.failed} failed, ${p.skipped} skipped`;
function record(name, code, passed, failed, skipped, started) {
  if (code !== 0 && failed === 0) failed = 1;   // a phase that failed without a count still counts
  const p = { name, passed, failed, skipped };
  phases.push(p);
  console.log(`${name}: ${counts(p)} (${secs(started)} s)`);
}


// Set-up: quiet when all is there. When it cannot install what is missing, its one sentence
// (the command that installs it) is all that npm test says. A first apt-get and code-server
// install takes minutes: the limit only guards against a hang.
let t = Date.now();
const setup = await run('bash', ['scripts/setup-test-tools.sh'], 3600);
if (setup.code !== 0) process.exit(1);
console.log(`set-up took ${secs(t)} s`);

console.log('=== build');
t = Date.now();
const build = await run(process.execPath, ['scripts/build.mjs'], limit(300));
if (build.code !== 0) {
  console.log('build failed: nothing else can run');
  console.log('total: 0 passed, 1 failed, 0 skipped');
  process.exit(1);
}
console.log(`build took ${secs(t)} s`);

console.log('=== unit tests (mocha)');
t = Date.now();
const unit = await run('npm', ['run', '--silent', 'test:unit'], limit(600));
{
  const passing = lastCounts(unit.out, /^\s*(\d+) passing/);
  const failing = lastCounts(unit.out, /^\s*(\d+) failing/);
  const pending = lastCounts(unit.out, /^\s*(\d+) pending/);
  if (passing) record('unit', unit.code, passing[0], failing ? failing[0] : 0, pending ? pending[0] : 0, t);
  else {
    // no summary (stopped, crashed): count the reporter's lines so far, plus one for the stop
    const ticks = (unit.out.match(/^\s*[✔✓]/gm) ?? []).length;
    const crosses = (unit.out.match(/^\s*\d+\) /gm) ?? []).length;
    const dashes = (unit.out.match(/^\s*- /gm) ?? []).length;   // the spec reporter's pending tests
    record('unit', unit.code, ticks, crosses + 1, dashes, t);
  }
}

/** A phase whose script prints `<label>: N passed, N failed[, N skipped]` last. */
async function phase(name, title, script, label) {
  console.log(`=== ${title}`);
  const started = Date.now();
  const r = await run(process.execPath, [script], limit(600));
  const c = lastCounts(r.out, new RegExp(`^${label}: (\\d+) passed, (\\d+) failed(?:, (\\d+) skipped)?`)) ?? [0, 0, 0];
  record(name, r.code, c[0], c[1], c[2], started);
}
await phase('ext-host', 'extension-host tests (real VS Code)', 'test/vscode/run.js', 'ext-host');
await phase('e2e', 'browser e2e (code-server + Chromium)', 'test/e2e/run.js', 'e2e');
await phase('e2e-cells', 'browser e2e: the cell-activation panel (test/e2e/cells.js)', 'test/e2e/cells.js', 'e2e');

const sum = (k) => phases.reduce((a, p) => a + p[k], 0);
const total = { passed: sum('passed'), failed: sum('failed'), skipped: sum('skipped') };
console.log(`\n${phases.map((p) => `${p.name}: ${counts(p)}`).join('\n')}`);
const allowSkips = process.env.LSTM_LENS_ALLOW_SKIPS === '1';
if (total.skipped > 0) {
  console.log(allowSkips
    ? `${total.skipped} skipped, allowed by LSTM_LENS_ALLOW_SKIPS=1.`
    : `${total.skipped} skipped: each is a test that should have run (see "pending" and "skipped" above); LSTM_LENS_ALLOW_SKIPS=1 lets npm test pass with skips.`);
}
console.log(`npm test took ${secs(t0)} s`);
console.log(`total: ${counts(total)}`);
process.exit(total.failed > 0 || (total.skipped > 0 && !allowSkips) ? 1 : 0);
