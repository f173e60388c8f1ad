#!/usr/bin/env node
// One command, three systems side by side: our engine (`lstm-lens bench`), PyTorch and TF.js,
// on the DESIGN.md configs. Runs are strictly one at a time (they would fight over the two cores)
// and interleaved: every round visits every config × thread count and, within it, every system,
// rotating the order from round to round, so slow drift in the machine's load (an editor, an
// indexer, a test run) lands on all systems alike. Each number is the median over rounds.
//
//   node bench/compare.mjs [--configs A,B,C] [--threads 1,2] [--seconds 5] [--rounds 2]
//                          [--systems ours,torch,tfjs] [--tfjs-all] [--python PY] [--json]
//                          [--wait-idle SECONDS]
//
// See bench/README.md for what each column means.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'dist', 'cli.js');

function parseArgs(argv) {
  const o = { configs: ['A', 'B', 'C'], threads: [1, 2], seconds: 5, rounds: 2,
    systems: ['ours', 'torch', 'tfjs'], tfjsAll: false, python: null, json: false, waitIdle: 0 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i], v = argv[i + 1];
    const list = () => { i++; return v.split(',').map((s) => s.trim()).filter(Boolean); };
    if (a === '--configs' || a === '--config') o.configs = list().map((s) => s.toUpperCase());
    else if (a === '--threads') o.threads = list().map(Number);
    else if (a === '--seconds') { o.seconds = Number(v); i++; }
    else if (a === '--rounds') { o.rounds = Number(v); i++; }
    else if (a === '--systems') o.systems = list();
    else if (a === '--tfjs-all') o.tfjsAll = true;
    else if (a === '--python') { o.python = v; i++; }
    else if (a === '--json') o.json = true;
    else if (a === '--wait-idle') { o.waitIdle = Number(v); i++; }
    else if (a === '--help' || a === '-h') { console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 11).join('\n')); process.exit(0); }
    else { console.error(`Unknown argument ${a}; see node bench/compare.mjs --help.`); process.exit(2); }
  }
  for (const c of o.configs) if (!['A', 'B', 'C'].includes(c)) { console.error(`Unknown config ${c}; use A, B or C.`); process.exit(2); }
  if (!(o.seconds > 0) || !(o.rounds >= 1) || o.threads.some((t) => !(t >= 1))) {
    console.error('--seconds must be positive, --rounds and every --threads entry at least 1.'); process.exit(2);
  }
  return o;
}

/** The Python with torch: --python, $LSTM_LENS_TORCH_PYTHON, the system python3, then PATH's python3. */
function findPython(explicit) {
  const candidates = [explicit, process.env.LSTM_LENS_TORCH_PYTHON, '/usr/bin/python3', 'python3'].filter(Boolean);
  for (const py of candidates) {
    if (spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0) return py;
  }
  return null;
}

/** How each system is run for one (config, threads); null when it cannot run at all. */
function makeRunners(o) {
  const runners = {};
  const python = o.systems.includes('torch') ? findPython(o.python) : null;
  const secs = String(o.seconds);
  runners.ours = {
    unavailable: existsSync(CLI) ? null : 'not built (run npm run build)',
    cmd: (c, t) => [process.execPath, [CLI, 'bench', '--config', c, '--threads', String(t), '--json']],
  };
  runners.torch = {
    unavailable: python ? null : 'PyTorch not importable (pass --python)',
    cmd: (c, t) => [python, [join(ROOT, 'bench/peers/torch_bench.py'), '--configs', c, '--threads', String(t), '--seconds', secs]],
  };
  runners.tfjs = {
    unavailable: null,
    // the wasm backend is single-threaded under Node; C takes minutes per step pair: opt in
    skip: (c, t) => (t !== 1 ? '1 thread only' : c === 'C' && !o.tfjsAll ? 'too slow (--tfjs-all)' : null),
    cmd: (c, t) => [process.execPath, ['--import', 'tsx', join(ROOT, 'bench/peers/tfjs_bench.ts'), '--configs', c, '--threads', String(t), '--seconds', secs]],
  };
  return runners;
}

/** Fraction of all cores busy over the next `ms` (from /proc/stat; null where there is none). */
function busyFraction(ms) {
  const read = () => {
    try {
      const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
      return { idle: f[3] + (f[4] || 0), total: f.reduce((a, b) => a + b, 0) };
    } catch { return null; }
  };
  const a = read();
  if (!a) return null;
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);   // a synchronous sleep
  const b = read();
  return b.total > a.total ? 1 - (b.idle - a.idle) / (b.total - a.total) : 0;
}

/** Waits (up to maxSeconds) until other processes use less than a quarter of the machine. */
function waitForIdle(maxSeconds) {
  const t0 = Date.now();
  let busy = busyFraction(1000);
  while (busy !== null && busy > 0.25 && Date.now() - t0 < maxSeconds * 1000) busy = busyFraction(2000);
  return busy;
}

function loadAverage() {
  try { return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]); } catch { return NaN; }
}

/** Runs one benchmark process; returns its last JSON line with a "config", or {error}. */
function runOne(runner, c, t, o) {
  const [cmd, args] = runner.cmd(c, t);
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', timeout: Math.max(600, o.seconds * 60) * 1000, maxBuffer: 1 << 24 });
  const rows = (r.stdout || '').split('\n').filter((l) => l.trim().startsWith('{')).map((l) => {
    try { return JSON.parse(l); } catch { return null; }
  }).filter((x) => x && x.config !== undefined);
  if (r.status !== 0 || rows.length === 0) {
    const why = r.error ? r.error.message : (r.stderr || '').trim().split('\n').pop() || `exit ${r.status}`;
    return { error: why.slice(0, 160), stderr: r.stderr };
  }
  return { ...rows[rows.length - 1], stderr: r.stderr };
}

const median = (xs) => {
  const s = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return null;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function main() {
  const o = parseArgs(process.argv.slice(2));
  const runners = makeRunners(o);
  const results = new Map();   // `${sys}|${c}|${t}` -> [row...]
  const notes = new Map();     // `${sys}|${c}|${t}` -> why there is no number
  const shown = new Set();
  const loads = [];
  const cells = o.configs.flatMap((c) => o.threads.map((t) => [c, t]));
  console.error(`compare: ${o.rounds} round(s) × ${cells.length} config/thread cells × ${o.systems.join(', ')}; ${o.seconds} s of training each; ${cpus().length} cores`);

  for (let round = 0; round < o.rounds; round++) {
    cells.forEach(([c, t], ci) => {
      // rotate the order of the systems per round and cell, so none always runs first or last
      const k = (round + ci) % o.systems.length;
      const order = [...o.systems.slice(k), ...o.systems.slice(0, k)];
      for (const sys of order) {
        const key = `${sys}|${c}|${t}`;
        const runner = runners[sys];
        if (!runner) { notes.set(key, 'unknown system'); continue; }
        const why = runner.unavailable ?? runner.skip?.(c, t) ?? null;
        if (why) {
          notes.set(key, why);
          if (runner.unavailable && !shown.has(sys)) { console.error(`${sys}: ${why}`); shown.add(sys); }
          continue;
        }
        const busy = o.waitIdle > 0 ? waitForIdle(o.waitIdle) : null;
        const load = loadAverage();
        const busyNote = busy === null ? '' : `, others busy ${Math.round(busy * 100)}%`;
        process.stderr.write(`  round ${round + 1}/${o.rounds}  ${c} ×${t} thread(s)  ${sys.padEnd(5)} (load ${load.toFixed(1)}${busyNote}) ... `);
        const row = runOne(runner, c, t, o);
        loads.push(load);
        if (row.error) {
          process.stderr.write(`failed: ${row.error}\n`);
          notes.set(key, `failed: ${row.error}`);
          continue;
        }
        process.stderr.write(`${fmt(row.train_chars_per_s)} chars/s\n`);
        // PyTorch's BLAS check (and its warning) once
        if (sys === 'torch' && !shown.has('torch-blas')) {
          shown.add('torch-blas');
          for (const line of row.stderr.split('\n')) if (/BLAS|GFLOP|WARNING|Causes|^\s+-|^\s{4,}\S/.test(line)) console.error(`    torch: ${line}`);
        }
        if (!results.has(key)) results.set(key, []);
        results.get(key).push(row);
      }
    });
  }

  const metric = (sys, c, t, m) => median((results.get(`${sys}|${c}|${t}`) ?? []).map((r) => r[m]));
  const table = cells.map(([c, t]) => {
    const row = { config: c, threads: t };
    for (const sys of ['ours', 'torch', 'tfjs']) {
      row[sys] = {
        train_chars_per_s: metric(sys, c, t, 'train_chars_per_s'),
        sample_ms_per_char: metric(sys, c, t, 'sample_ms_per_char'),
        prime_ms_2000: metric(sys, c, t, 'prime_ms_2000'),
        train_chars_per_cpu_s: metric(sys, c, t, 'train_chars_per_cpu_s'),
        runs: (results.get(`${sys}|${c}|${t}`) ?? []).length,
        note: notes.get(`${sys}|${c}|${t}`) ?? null,
      };
    }
    return row;
  });

  if (o.json) {
    console.log(JSON.stringify({ rounds: o.rounds, seconds: o.seconds, load_average: { min: Math.min(...loads), max: Math.max(...loads) }, rows: table }));
    return;
  }
  printTable(table);
  const maxLoad = Math.max(...loads);
  if (maxLoad > cpus().length * 0.75) {
    console.log(`\nNote: the load average reached ${maxLoad.toFixed(1)} on ${cpus().length} cores during the runs; other processes shared the machine, so absolute numbers are low and 2-thread runs suffer most.`);
  }
  const missing = [...new Set([...notes.entries()].filter(([k]) => results.get(k) === undefined).map(([k, v]) => `${k.split('|')[0]}: ${v}`))];
  if (missing.length) console.log(`\n– = no number: ${missing.join('; ')}`);
}

function fmt(x, digits) {
  if (x === null || x === undefined) return '–';
  if (digits !== undefined) return x.toFixed(digits);
  return x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toPrecision(3);
}

/** ours ÷ peer for rates, peer ÷ ours for times: above 1 means ours is faster. */
function speedRatio(ours, peer, isTime) {
  if (ours == null || peer == null || ours === 0 || peer === 0) return '–';
  return (isTime ? peer / ours : ours / peer).toFixed(2) + '×';
}

function printTable(table) {
  const head = ['cfg', 'thr', 'ours ch/s', 'torch ch/s', 'tfjs ch/s', 'ours/torch', 'ours/tfjs',
    'sample ms/ch o|t|j', 'prime 2000 ms o|t|j'];
  const body = table.map((r) => [
    r.config, String(r.threads),
    fmt(r.ours.train_chars_per_s), fmt(r.torch.train_chars_per_s), fmt(r.tfjs.train_chars_per_s),
    speedRatio(r.ours.train_chars_per_s, r.torch.train_chars_per_s, false),
    speedRatio(r.ours.train_chars_per_s, r.tfjs.train_chars_per_s, false),
    [r.ours, r.torch, r.tfjs].map((s) => fmt(s.sample_ms_per_char, 3)).join(' | '),
    [r.ours, r.torch, r.tfjs].map((s) => fmt(s.prime_ms_2000, 0)).join(' | '),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cols) => cols.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log('\n' + line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const b of body) console.log(line(b));
  if (table.some((r) => ['ours', 'torch', 'tfjs'].some((s) => r[s].train_chars_per_cpu_s != null))) {
    console.log('\ntraining chars per CPU-second (process CPU time, all threads; on a busy machine the 1-thread');
    console.log('rows approximate quiet-machine speed):');
    for (const r of table) {
      console.log(`  ${r.config} ×${r.threads}:  ours ${fmt(r.ours.train_chars_per_cpu_s)}   torch ${fmt(r.torch.train_chars_per_cpu_s)}   tfjs ${fmt(r.tfjs.train_chars_per_cpu_s)}`);
    }
  }
  console.log('\nch/s = training characters per second (forward, backward, clip 5, Adam), median over rounds;');
  console.log('ratios above 1× mean ours is faster; o|t|j = ours | torch | tfjs (batch 1).');
}

main();
