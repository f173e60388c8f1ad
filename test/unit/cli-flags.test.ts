// The CLI flags that the other CLI tests do not use, each checked for what it does (not only that
// it is accepted): --val, --epochs, --clip, --dropout, every --optimizer, --cell gru|rnn,
// sample --temperature, cells --language. The built bundle (dist/cli.js), on small folders.
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { decodeCheckpoint, type Checkpoint } from '../../src/engine/checkpoint';
import { decodeSafetensors } from '../../src/engine/safetensors';
import { runCli } from './cli-run';

const CLI = resolve(__dirname, '../../dist/cli.js');
const SMALL = ['--layers', '1', '--hidden', '16', '--seq', '16', '--batch', '4', '--seed', '7'];
// One rate for every step, so a step's size is the rate's: a step decay stands the budget's schedule
// (warm-up, cosine) aside (src/training/session.ts).
const CONSTANT_LR = ['--lr-decay', '1', '--lr-decay-every', '1000'];
const B = 4, T = 16;

describe('lstm-lens CLI flags', function () {
  this.timeout(120_000);
  let dir: string, src: string, val: string, py: string;
  let n = 0;
  const out = (name: string) => join(dir, `${name}-${n++}.safetensors`);
  const run = (args: string[]) => {
    const r = runCli(CLI, args, { cwd: dir });
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return r;
  };
  const train = (name: string, args: string[], paths: string[] = [src]) => {
    const file = out(name);
    const r = run(['train', ...paths, '--out', file, ...args]);
    return { file, ck: decodeCheckpoint(readFileSync(file)), r };
  };
  const params = (ck: Checkpoint) => ck.params;
  const diff = (a: Float32Array, b: Float32Array) => {
    assert.equal(a.length, b.length);
    let sq = 0, max = 0;
    for (let i = 0; i < a.length; i++) { const d = a[i] - b[i]; sq += d * d; max = Math.max(max, Math.abs(d)); }
    return { norm: Math.sqrt(sq), max };
  };
  /** The initial parameters of a seeded run: one SGD step with a vanishing learning rate. */
  const initial = (extra: string[] = []) => params(train('init', ['--steps', '1', '--optimizer', 'sgd', '--lr', '1e-12', '--clip', '0', ...SMALL, ...CONSTANT_LR, ...extra]).ck);

  before(function () {
    if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run `npm run build` first.');
    dir = mkdtempSync(join(tmpdir(), 'lstm-lens-cli-flags-'));
    src = join(dir, 'src'); val = join(dir, 'val'); py = join(dir, 'py');
    for (const d of [src, val, py]) mkdirSync(d);
    const code = 'function add(a, b) {\n  // add two numbers\n  return a + b;\n}\nconst s = "hello";\n';
    for (let i = 0; i < 6; i++) writeFileSync(join(src, `f${i}.js`), code.repeat(8) + `// file ${i}\n`);
    writeFileSync(join(val, 'held.js'), 'const t = "held out";\nfunction sub(a, b) {\n  return a - b;\n}\n');
    const python = 'def add(a, b):\n    # add two numbers\n    if a > b:\n        return "big"\n    return a + b\n';
    for (let i = 0; i < 3; i++) writeFileSync(join(py, `notes${i}.txt`), python.repeat(10) + `# notes ${i}\n`);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('--val scores the run on the given files and trains on every file of the corpus', () => {
    const split = train('split', ['--steps', '30', ...SMALL]);
    const withVal = train('val', ['--steps', '30', '--val', val, '--json', ...SMALL]);
    const corpusChars = (stderr: string) => Number(/on ([\d,]+) characters/.exec(stderr)![1].replace(/,/g, ''));
    assert.ok(corpusChars(withVal.r.stderr) > corpusChars(split.r.stderr),
      `nothing held out of the corpus: ${corpusChars(withVal.r.stderr)} vs ${corpusChars(split.r.stderr)} characters`);
    const last = JSON.parse(withVal.r.stdout.trim().split('\n').pop()!);
    const history = withVal.ck.training.valBpcHistory;
    const e = JSON.parse(run(['eval', '--model', withVal.file, val, '--json']).stdout);
    assert.ok(Math.abs(history[history.length - 1][1] - e.bpc) < 1e-3, `validation ${history[history.length - 1][1]} = eval of --val ${e.bpc}`);
    assert.ok(Math.abs(last.val_bpc - e.bpc) < 1e-3);
    // the held-out file's own text is never trained on: the split run's validation differs
    const es = JSON.parse(run(['eval', '--model', split.file, val, '--json']).stdout);
    assert.notEqual(split.ck.training.valBpcHistory.at(-1)![1].toFixed(4), es.bpc.toFixed(4));
  });

  it('--epochs E ends after E passes over the training text', () => {
    for (const epochs of [1, 2]) {
      const { ck, r } = train('epochs', ['--epochs', String(epochs), '--json', ...SMALL]);
      const corpus = Number(/on ([\d,]+) characters/.exec(r.stderr)![1].replace(/,/g, ''));
      const last = JSON.parse(r.stdout.trim().split('\n').pop()!);
      assert.equal(last.epoch, epochs);
      assert.ok(Math.abs(ck.training.charsSeen - epochs * corpus) <= B * T,
        `${ck.training.charsSeen} characters seen for ${epochs} × ${corpus}`);
    }
  });

  it('--clip bounds the global gradient norm of every step (0 turns it off)', () => {
    const theta0 = initial();
    const clipped = train('clip', ['--steps', '1', '--optimizer', 'sgd', '--lr', '1', '--clip', '0.001', ...SMALL, ...CONSTANT_LR]).ck;
    assert.equal(clipped.train?.clipNorm, 0.001);
    const d = diff(params(clipped), theta0);
    assert.ok(d.norm <= 0.001 * 1.001 && d.norm > 0.0009, `one SGD step of lr 1 moves ‖Δθ‖ = ${d.norm} (clip 0.001)`);
    const free = train('noclip', ['--steps', '1', '--optimizer', 'sgd', '--lr', '1', '--clip', '0', ...SMALL, ...CONSTANT_LR]).ck;
    assert.equal(free.train?.clipNorm, 0);
    assert.ok(diff(params(free), theta0).norm > 0.01, 'unclipped, the step is the whole gradient');
  });

  it('--dropout is stored, changes training, and is off when evaluating', () => {
    const args = ['--steps', '10', '--layers', '2', '--hidden', '16', '--seq', '16', '--batch', '4', '--seed', '7'];
    const plain = train('d0', args).ck;
    const dropped = train('d5', [...args, '--dropout', '0.5']);
    assert.equal(dropped.ck.config.dropout, 0.5);
    assert.equal(plain.config.dropout, 0);
    assert.ok(diff(params(dropped.ck), params(plain)).max > 0, 'dropout changed the gradients');
    const e1 = run(['eval', '--model', dropped.file, val, '--json']).stdout;
    assert.equal(run(['eval', '--model', dropped.file, val, '--json']).stdout, e1, 'evaluation is deterministic (no dropout)');
  });

  it('--optimizer: each keeps its own state, named as PyTorch names it, and takes its own first step', () => {
    const lr = 0.01;
    const theta0 = initial();
    const state: Record<string, string[]> = {
      adam: ['optim.exp_avg', 'optim.exp_avg_sq'], rmsprop: ['optim.square_avg'], adagrad: ['optim.sum'], momentum: ['optim.momentum_buffer'], sgd: [],
    };
    const steps: Record<string, Float32Array> = {};
    for (const o of Object.keys(state)) {
      const { file, ck } = train(o, ['--steps', '1', '--optimizer', o, '--lr', String(lr), '--clip', '0', ...SMALL, ...CONSTANT_LR]);
      assert.equal(ck.train?.optimizer, o);
      const sidecar = decodeSafetensors(readFileSync(file.replace(/\.safetensors$/, '.state.safetensors')));
      assert.deepEqual([...sidecar.tensors.keys()].filter((k) => k.startsWith('optim.')).sort(), state[o], `${o}'s state`);
      steps[o] = params(ck);
    }
    // Adam and Adagrad: the first step is lr·sign(g); RMSprop (α 0.99): lr·sign(g)/√(1−α) = 10·lr;
    // momentum's first step is plain SGD's
    for (const [o, size] of [['adam', lr], ['adagrad', lr], ['rmsprop', 10 * lr]] as const) {
      const d = diff(steps[o], theta0);
      assert.ok(d.max <= size * 1.01 && d.max >= size * 0.9, `${o}: largest first step ${d.max}, expected ${size}`);
    }
    assert.ok(diff(steps.sgd, theta0).max > 0);
    assert.ok(diff(steps.momentum, steps.sgd).max < 1e-6, 'momentum\'s first step is SGD\'s');
    assert.ok(diff(steps.adam, steps.sgd).max > 1e-4, 'Adam is not SGD');
  });

  for (const [cell, gates] of [['gru', 3], ['rnn', 1]] as const) {
    it(`--cell ${cell} trains a ${cell.toUpperCase()} with PyTorch's tensor shapes, which samples and resumes`, () => {
      const { file, ck } = train(cell, ['--steps', '20', '--cell', cell, ...SMALL]);
      assert.equal(ck.config.cell, cell);
      const t = decodeSafetensors(readFileSync(file)).tensors;
      assert.deepEqual(t.get('rnn.weight_hh_l0')!.shape, [gates * 16, 16]);
      assert.deepEqual(t.get('rnn.weight_ih_l0')!.shape, [gates * 16, ck.vocab.length]);
      const s = run(['sample', '--model', file, '--prime', 'function ', '--length', '40', '--seed', '1']);
      assert.ok(s.stdout.startsWith('function ') && [...s.stdout].length > 40);
      const again = run(['train', src, '--out', file, '--steps', '30', '--resume']);
      assert.match(again.stderr, new RegExp(`1×16 ${cell.toUpperCase()}`));
      assert.equal(decodeCheckpoint(readFileSync(file)).training.steps, 30);
      const wrong = runCli(CLI, ['train', src, '--out', file, '--steps', '40', '--resume', '--cell', 'lstm'], { cwd: dir });
      assert.equal(wrong.code, 2);
      assert.match(wrong.stderr, /--cell lstm differs from the checkpoint's/);
    });
  }

  it('sample --temperature: near 0 it is the greedy continuation whatever the seed; high, seeds differ', () => {
    const { file } = train('temp', ['--minutes', '0.02', ...SMALL]);
    const sample = (...args: string[]) => run(['sample', '--model', file, '--prime', 'function ', '--length', '80', ...args]).stdout;
    const greedy = sample('--greedy');
    assert.equal(sample('--temperature', '0', '--seed', '1'), greedy);
    assert.equal(sample('--temperature', '0.01', '--seed', '1'), greedy);
    assert.equal(sample('--temperature', '0.01', '--seed', '2'), greedy);
    const hot = [1, 2, 3].map((seed) => sample('--temperature', '5', '--seed', String(seed)));
    assert.equal(new Set(hot).size, 3, 'at temperature 5 every seed gives its own text');
    assert.ok(hot.every((h) => h !== greedy));
  });

  it('cells --language labels files as that language (here: .txt files as Python)', () => {
    const { file } = train('py', ['--minutes', '0.02', ...SMALL], [py]);
    const cells = (...args: string[]) => JSON.parse(run(['cells', '--model', file, py, '--json', ...args]).stdout) as
      { labels: string; missing: string[]; cells: { label: string }[] };
    const plain = cells();
    assert.equal(plain.labels, 'lexer', 'a .txt file has no grammar');
    assert.ok(plain.missing.some((m) => /^if:/.test(m)), plain.missing.join('; '));
    const python = cells('--language', 'python');
    assert.equal(python.labels, 'tree-sitter');
    assert.deepEqual(python.missing, []);
    const labels = new Set(python.cells.map((c) => c.label));
    for (const l of ['quote', 'comment', 'if', 'indent']) assert.ok(labels.has(l), `a ${l} cell is scored: ${[...labels].join(', ')}`);
  });
});
