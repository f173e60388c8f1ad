// The PyTorch trainer (python/lstm_lens_torch) against itself and against our engine:
//
// 1. torchrun --nproc_per_node 2 (gloo, CPU) equals one process with the same global batch: the
//    same losses at every step (progress lines, 4 decimals) and the same weights (‖Δ‖/‖w‖ ≤ 1e-5),
//    with the 5 streams split unevenly (2 + 3) over the ranks.
// 2. Its checkpoint loads in our engine: `lstm-lens eval --json` gives the trainer's own
//    evaluation (python -m lstm_lens_torch.eval) to 1e-4 relative, UNK characters included.
// 3. A model our engine trained, resumed by the PyTorch trainer, continues with the loss it had:
//    its first step's loss is the engine's own next step's (the sidecar carries Adam's moments,
//    the stream positions and the hidden state); and the checkpoint the PyTorch trainer writes,
//    resumed by our engine, continues as the PyTorch trainer does.
//
// Needs a Python with torch: $LSTM_LENS_TORCH_PYTHON if set, else /usr/bin/python3, else
// `python3`. Without torch the suite is skipped, and counted as such (npm test fails on skips unless
// LSTM_LENS_ALLOW_SKIPS=1), never passed.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { decodeCheckpoint } from '../../src/engine/checkpoint';
import { runCli } from './cli-run';

const ROOT = resolve(__dirname, '../..');
const CLI = join(ROOT, 'dist/cli.js');
const PYTHON_CANDIDATES = process.env.LSTM_LENS_TORCH_PYTHON ? [process.env.LSTM_LENS_TORCH_PYTHON] : ['/usr/bin/python3', 'python3'];
const TINY = ['--layers', '1', '--hidden', '16', '--seq', '8', '--seed', '3'];

function findTorchPython(): string | null {
  for (const py of PYTHON_CANDIDATES) {
    if (spawnSync(py, ['-c', 'import torch, numpy'], { encoding: 'utf8' }).status === 0) return py;
  }
  return null;
}

/** torchrun beside the Python that has torch (Debian puts both in /usr/bin). */
function torchrunFor(python: string): string[] {
  const beside = join(dirname(python), 'torchrun');
  return existsSync(beside) ? [beside] : [python, '-m', 'torch.distributed.run'];
}

interface Progress { step: number; epoch: number; chars: number; train_bpc: number; val_bpc: number | null; lr: number }

function runTorch(cmd: string[], args: string[]): { stdout: string; stderr: string; lines: Progress[] } {
  const r = spawnSync(cmd[0], [...cmd.slice(1), ...args], {
    encoding: 'utf8', timeout: 240_000, env: { ...process.env, PYTHONPATH: join(ROOT, 'python') },
  });
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} ${args.join(' ')} failed (exit ${r.status}): ${r.stderr || r.error}`);
  const lines = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Progress);
  return { stdout: r.stdout, stderr: r.stderr, lines };
}

function engine(args: string[]): { stderr: string; lines: Progress[] } {
  const r = runCli(CLI, args, { timeoutMs: 120_000 });
  assert.equal(r.code, 0, r.stderr);
  return { stderr: r.stderr, lines: r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Progress) };
}

function relErr(a: Float32Array, b: Float32Array): number {
  let d = 0, n = 0;
  for (let i = 0; i < a.length; i++) { d += (a[i] - b[i]) ** 2; n += b[i] ** 2; }
  return Math.sqrt(d / n);
}

function copyModel(from: string, to: string): void {
  copyFileSync(from, to);
  const state = (p: string) => p.replace(/\.safetensors$/, '.state.safetensors');
  if (existsSync(state(from))) copyFileSync(state(from), state(to));
}

describe('PyTorch trainer (python/lstm_lens_torch)', function () {
  this.timeout(300_000);
  let python: string;
  let dir: string, src: string, corpus: string;
  before(function () {
    const found = findTorchPython();
    if (!found) {
      const msg = `no Python with torch (tried ${PYTHON_CANDIDATES.join(', ')}; set LSTM_LENS_TORCH_PYTHON).`;
      console.warn(`    skipped: ${msg}`);
      this.skip();
    }
    python = found;
    if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run `npm run build` first.');
    dir = mkdtempSync(join(tmpdir(), 'lstm-lens-torch-'));
    src = join(dir, 'src');
    mkdirSync(src);
    const code = 'function add(a, b) {\n  // add two numbers\n  return a + b;\n}\nconst s = "héllo";\n';
    for (let i = 0; i < 12; i++) writeFileSync(join(src, `f${i}.js`), code.repeat(6) + `// file ${i}\n`);
    corpus = join(dir, 'corpus');
    const r = runCli(CLI, ['corpus', src, '--out', corpus]);
    assert.equal(r.code, 0, r.stderr);
  });
  after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  const train = (extra: string[]) => [
    '-m', 'lstm_lens_torch.train', '--corpus', corpus, '--progress-every', '0', '--device', 'cpu', ...extra,
  ];

  it('torchrun with 2 processes (gloo) equals one process with the same global batch', function () {
    const one = join(dir, 'one.safetensors'), two = join(dir, 'two.safetensors');
    const args = [...TINY, '--batch', '5', '--steps', '6'];
    const single = runTorch([python], [...train(['--out', one, '--threads', '1', ...args])]);
    // --redirects/--tee: torch 1.13's torchrun cannot parse its own default "0" on Python 3.11;
    // naming a stream works on every version and leaves stdout (the JSON lines) untouched.
    const ddp = runTorch(torchrunFor(python), ['--redirects', '2', '--tee', '2', '--nproc_per_node', '2', ...train(['--out', two, ...args])]);
    assert.match(ddp.stderr, /on 2 processes/);
    assert.equal(single.lines.length, 6);
    assert.equal(ddp.lines.length, 6);
    single.lines.forEach((s, i) => {
      const d = ddp.lines[i];
      assert.equal(d.step, s.step);
      assert.equal(d.chars, s.chars);
      assert.ok(Math.abs(d.train_bpc - s.train_bpc) <= 1e-4 + 1e-12, `step ${s.step}: ${d.train_bpc} vs ${s.train_bpc}`);
    });
    const a = decodeCheckpoint(readFileSync(one)), b = decodeCheckpoint(readFileSync(two));
    assert.deepEqual(b.config, a.config);
    assert.equal(b.training.steps, 6);
    const err = relErr(b.params, a.params);
    assert.ok(err <= 1e-5, `weights differ by ${err}`);
    assert.equal((b.training.trainedWith as { processes: number }).processes, 2);
  });

  it('writes a checkpoint our engine loads and scores as the trainer does (1e-4 relative)', function () {
    const model = join(dir, 'one.safetensors');   // from the test above
    if (!existsSync(model)) this.skip();
    const text = join(dir, 'score.txt');
    writeFileSync(text, 'function add(a, b) {\n  return a + b; // ∑ 😀 unseen\n}\n'.repeat(4));
    const ours = runCli(CLI, ['eval', '--model', model, '--raw', text, '--json']);
    assert.equal(ours.code, 0, ours.stderr);
    const theirs = runTorch([python], ['-m', 'lstm_lens_torch.eval', '--model', model, '--raw', text]);
    const e = JSON.parse(ours.stdout), t = JSON.parse(theirs.stdout);
    assert.equal(t.chars, e.chars);
    assert.equal(t.oov, e.oov);
    assert.ok(e.oov > 0, 'the text has characters outside the vocabulary');
    assert.ok(Math.abs(t.bpc - e.bpc) / e.bpc <= 1e-4, `torch ${t.bpc} vs engine ${e.bpc}`);
  });

  it('resumes a model our engine trained with the loss it had, and our engine resumes its model', function () {
    const base = join(dir, 'engine.safetensors');
    const small = [...TINY, '--batch', '4', '--threads', '1', '--json'];
    engine(['train', src, '--out', base, ...small, '--steps', '6']);
    const byTorch = join(dir, 'torch.safetensors');
    copyModel(base, byTorch);

    // step 7: the engine's own, and the PyTorch trainer's from the engine's step 6
    const e7 = engine(['train', src, '--out', base, '--resume', '--steps', '7', '--threads', '1', '--json']).lines.at(-1)!;
    const t7 = runTorch([python], train(['--out', byTorch, '--resume', '--steps', '7']));
    assert.doesNotMatch(t7.stderr, /fresh optimizer|start over/, t7.stderr);
    assert.equal(t7.lines.length, 1);
    assert.equal(t7.lines[0].step, 7);
    assert.equal(t7.lines[0].chars, e7.chars);
    assert.ok(Math.abs(t7.lines[0].train_bpc - e7.train_bpc) <= 2e-4, `step 7: torch ${t7.lines[0].train_bpc} vs engine ${e7.train_bpc}`);

    // step 8 from the PyTorch trainer's step 7: both trainers again
    const byEngine = join(dir, 'torch-then-engine.safetensors');
    copyModel(byTorch, byEngine);
    const t8 = runTorch([python], train(['--out', byTorch, '--resume', '--steps', '8'])).lines.at(-1)!;
    const e8run = engine(['train', src, '--out', byEngine, '--resume', '--steps', '8', '--threads', '1', '--json']);
    assert.doesNotMatch(e8run.stderr, /could not be used/, e8run.stderr);
    const e8 = e8run.lines.at(-1)!;
    assert.equal(e8.step, 8);
    assert.equal(e8.chars, t8.chars);
    assert.ok(Math.abs(t8.train_bpc - e8.train_bpc) <= 2e-4, `step 8: torch ${t8.train_bpc} vs engine ${e8.train_bpc}`);
    const a = decodeCheckpoint(readFileSync(byTorch)), b = decodeCheckpoint(readFileSync(byEngine));
    assert.ok(relErr(b.params, a.params) <= 1e-4, 'the same weights after step 8');
  });
});
