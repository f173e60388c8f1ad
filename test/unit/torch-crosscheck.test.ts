// Our engine against PyTorch, an independent implementation of the same maths.
//
// 1. Gradients: for lstm/gru/rnn × 1-4 layers, random weights and ids, our CharRNN.trainChunk
//    (reference kernels) against torch.nn.LSTM/GRU/RNN + Linear in float64 (test/torch/torch_ref.py),
//    over two chunks with a non-zero initial state carried through them (truncated BPTT:
//    the state is carried, gradients accumulate). With dropout, both sides use the same masks:
//    ours draws them from its seeded generator (inverted dropout on the output of every layer
//    but the last, one draw per unit, as src/engine/model.ts does), the test draws the same ones
//    from a copy of that generator, and torch multiplies them in between the layers
//    (CharRNN.forward_with_masks); torch.nn.LSTM(dropout=) would draw masks of its own.
//    Metrics: loss |ours − torch| / |torch| ≤ 1e-5; every tensor's gradient
//    ‖ours − torch‖₂ / ‖torch‖₂ ≤ 1e-4; final h and c ‖ours − torch‖₂ / ‖torch‖₂ ≤ 1e-5.
//    (Measured: gradients within ~4e-7, float32 rounding.) The same cases then run on every
//    WebAssembly kernel build this runtime supports, against the same torch numbers.
// 2. Checkpoints: PyTorch trains a small LSTM and writes a checkpoint from its own state dict
//    (test/torch/write_checkpoint.py); our decodeCheckpoint loads it, and our evaluateStreams
//    and Stepper give the bits per char, state and next-character distribution torch computes.
// 3. The other way: our Trainer trains models with dropout (3 and 4 layers), encodeCheckpoint
//    writes them, and PyTorch builds torch.nn.LSTM/GRU/RNN(dropout=) + Linear from nothing but
//    the file (test/torch/read_checkpoint.py): in eval mode (dropout off) it gives our bits per
//    char, state and next-character distribution.
//
// Needs a Python with torch: $LSTM_LENS_TORCH_PYTHON if set, else the system python3, else `python3`
// (scripts/setup-test-tools.sh installs Debian's python3-torch). Without torch every test here is
// skipped (mocha's pending), which npm test counts and fails on.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DEFAULT_TRAIN, type CellType, type ModelConfig } from '../../src/engine/config';
import { decodeCheckpoint, encodeCheckpoint, UNK } from '../../src/engine/checkpoint';
import { evaluateStreams } from '../../src/engine/eval';
import type { Kernels } from '../../src/engine/kernels';
import { createRefKernels } from '../../src/engine/kernels-ref';
import { loadWasmKernelsSync, supportedWasmVariants } from '../../src/runtime/wasm-kernels';
import { CharRNN, RecurrentState } from '../../src/engine/model';
import { paramLayout, view } from '../../src/engine/params';
import { Rng } from '../../src/engine/rng';
import { Stepper } from '../../src/engine/stepper';
import { Trainer } from '../../src/engine/trainer';

const TORCH_DIR = resolve(__dirname, '..', 'torch');
// an explicit $LSTM_LENS_TORCH_PYTHON is the only candidate (so CI can pin it, and a wrong one fails)
const PYTHON_CANDIDATES = process.env.LSTM_LENS_TORCH_PYTHON ? [process.env.LSTM_LENS_TORCH_PYTHON] : ['/usr/bin/python3', 'python3'];

/** The first candidate Python that imports torch, or null. */
function findTorchPython(): string | null {
  for (const py of PYTHON_CANDIDATES) {
    const r = spawnSync(py, ['-c', 'import torch'], { encoding: 'utf8' });
    if (r.status === 0) return py;
  }
  return null;
}

function runPython(py: string, script: string, args: string[]): void {
  const r = spawnSync(py, [join(TORCH_DIR, script), ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${script} failed (exit ${r.status}): ${r.stderr || r.error}`);
}

/** A safetensors file of F32 tensors, written here by hand so the test does not lean on our encoder. */
function writeSafetensors(path: string, tensors: { name: string; shape: number[]; data: Float32Array }[]): void {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + json.length) % 8)) % 8);
  const head = Buffer.from(json, 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(head.length));
  const data = tensors.map((t) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  writeFileSync(path, Buffer.concat([len, head, ...data]));
}

/** ‖a − b‖₂ / ‖b‖₂ (absolute ‖a − b‖₂ when b is all zeros). */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'length mismatch');
  let d = 0, n = 0;
  for (let i = 0; i < a.length; i++) { d += (a[i] - b[i]) ** 2; n += b[i] ** 2; }
  return n > 0 ? Math.sqrt(d / n) : Math.sqrt(d);
}

interface GradCase {
  name: string;
  cell: CellType; layers: number; hidden: number; vocab: number;
  T: number; B: number; chunks: number;
  carriedState: boolean;  // start from a random non-zero state
  masked: boolean;        // some targets are -1 (scored by neither side)
  gradScale: number;
  dropout: number;        // > 0: both sides apply the same dropout masks (see the top of this file)
}

interface TorchResult { loss: number; losses: number[]; h: number[]; c: number[] | null; grads: Record<string, number[]> }

interface OurResult { losses: number[]; state: RecurrentState; grads: Float32Array; model: CharRNN }

/** One chunk's input and targets, and with dropout the masks of layers 0..L-2 (flat (T·B, H) each). */
interface Chunk { inputs: number[]; targets: number[]; masks?: number[][] }

const CASES: GradCase[] = [];
for (const cell of ['lstm', 'gru', 'rnn'] as const) {
  for (const layers of [1, 2, 3, 4]) {
    CASES.push({ name: `${cell} ×${layers}, carried non-zero state, 2 chunks`, cell, layers, hidden: 12, vocab: 11,
      T: 7, B: 3, chunks: 2, carriedState: true, masked: false, gradScale: 1, dropout: 0 });
  }
}
CASES.push({ name: 'lstm ×2, zero state, gradScale 1/(T·B)', cell: 'lstm', layers: 2, hidden: 9, vocab: 13,
  T: 10, B: 2, chunks: 1, carriedState: false, masked: false, gradScale: 1 / 20, dropout: 0 });
CASES.push({ name: 'gru ×2, masked targets', cell: 'gru', layers: 2, hidden: 10, vocab: 7,
  T: 6, B: 4, chunks: 1, carriedState: true, masked: true, gradScale: 1, dropout: 0 });
CASES.push({ name: 'lstm ×3, dropout 0.3 (shared masks), 2 chunks', cell: 'lstm', layers: 3, hidden: 12, vocab: 11,
  T: 7, B: 3, chunks: 2, carriedState: true, masked: false, gradScale: 1, dropout: 0.3 });
CASES.push({ name: 'gru ×4, dropout 0.5 (shared masks), masked targets', cell: 'gru', layers: 4, hidden: 10, vocab: 9,
  T: 6, B: 2, chunks: 2, carriedState: true, masked: true, gradScale: 1, dropout: 0.5 });
CASES.push({ name: 'rnn ×2, dropout 0.2 (shared masks)', cell: 'rnn', layers: 2, hidden: 12, vocab: 11,
  T: 8, B: 3, chunks: 1, carriedState: true, masked: false, gradScale: 1, dropout: 0.2 });

/** The masks CharRNN.trainChunk draws from `rng` for one chunk with dropout p: for each layer
 *  0..L-2 in turn, one draw per unit of its (T·B, H) output, kept (scaled by 1/(1-p)) when below
 *  1 - p. Drawn here from a copy of the generator, so `rng` itself is left as it was. */
function dropoutMasks(rng: Rng, p: number, layers: number, n: number): number[][] {
  const copy = new Rng(0);
  copy.setState(rng.getState());
  const keep = 1 - p, scale = Math.fround(1 / keep);   // the engine keeps its masks in float32
  return Array.from({ length: layers - 1 }, () => Array.from({ length: n }, () => (copy.next() < keep ? scale : 0)));
}

/** With dropout, per chunk: the final h of the layers above the first, with the masks and without. */
interface DropoutEffect { dropped: number[]; undropped: number[] }

/** Our side of one case on the given kernels. Everything random comes from Rng(seed), so every
 *  backend sees the same weights, state and ids. */
function runOurs(c: GradCase, seed: number, kernels: Kernels): { ours: OurResult; h0: number[]; c0: number[]; chunks: Chunk[]; effect: DropoutEffect[] } {
  const config: ModelConfig = { cell: c.cell, layers: c.layers, hidden: c.hidden, vocabSize: c.vocab, dropout: c.dropout };
  const model = new CharRNN(config, kernels, c.B, c.T);
  const rng = new Rng(seed);
  model.initParams(rng);
  // twice PyTorch's default range, so that the gates leave their linear region
  for (let i = 0; i < model.params.length; i++) model.params[i] *= 2;

  const state = model.newState(c.B);
  if (c.carriedState) {
    for (let i = 0; i < state.h.length; i++) state.h[i] = rng.uniform(-0.9, 0.9);
    if (c.cell === 'lstm') for (let i = 0; i < state.c.length; i++) state.c[i] = rng.uniform(-2, 2);
  }
  const h0 = Array.from(state.h), c0 = Array.from(state.c);

  const dropoutRng = c.dropout > 0 ? new Rng(seed ^ 0x5bd1e995) : null;
  const chunks: Chunk[] = [];
  const losses: number[] = [];
  const effect: DropoutEffect[] = [];
  const above = (h: Float32Array) => Array.from(h.subarray(c.B * c.hidden));   // layers 1..L-1, downstream of a mask
  for (let k = 0; k < c.chunks; k++) {
    const n = c.T * c.B;
    const inputs = new Int32Array(n), targets = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      inputs[i] = rng.int(c.vocab);
      targets[i] = c.masked && rng.next() < 0.3 ? -1 : rng.int(c.vocab);
    }
    const chunk: Chunk = { inputs: Array.from(inputs), targets: Array.from(targets) };
    let undropped: number[] = [];
    if (dropoutRng) {
      chunk.masks = dropoutMasks(dropoutRng, c.dropout, c.layers, n * c.hidden);
      const plain = { h: state.h.slice(), c: state.c.slice() };   // the same state, run without dropout
      model.lossChunk(inputs, targets, c.T, c.B, plain);
      undropped = above(plain.h);
    }
    losses.push(model.trainChunk(inputs, targets, c.T, c.B, state, dropoutRng, c.gradScale));
    if (dropoutRng) effect.push({ dropped: above(state.h), undropped });
    chunks.push(chunk);
  }
  return { ours: { losses, state, grads: model.grads, model }, h0, c0, chunks, effect };
}

/** Writes the model's weights and torch_ref.py's spec for one case into dir. */
function torchSpec(c: GradCase, seed: number, dir: string, r: ReturnType<typeof runOurs>): Record<string, unknown> {
  const { model } = r.ours;
  const weights = join(dir, `case${seed}.safetensors`);
  writeSafetensors(weights, model.layout.tensors.map((t) => ({ name: t.name, shape: t.shape, data: view(model.params, t) })));
  return {
    weights, cell: c.cell, layers: c.layers, hidden: c.hidden, vocab: c.vocab, T: c.T, B: c.B, chunks: r.chunks,
    h0: c.carriedState ? r.h0 : null, c0: c.carriedState && c.cell === 'lstm' ? r.c0 : null,
  };
}

/** Checks one of our runs against torch's, with the metrics stated at the top of this file. */
function assertMatchesTorch(c: GradCase, o: OurResult, t: TorchResult): void {
  const L = c.layers, B = c.B, H = c.hidden;
  assert.equal(o.losses.length, t.losses.length, 'chunks run');
  o.losses.forEach((loss, k) => {
    const rel = Math.abs(loss - t.losses[k]) / Math.abs(t.losses[k]);
    assert.ok(rel <= 1e-5, `chunk ${k} loss: ours ${loss}, torch ${t.losses[k]} (rel ${rel.toExponential(2)} > 1e-5)`);
  });
  const hErr = relErr(o.state.h.subarray(0, L * B * H), t.h);
  assert.ok(hErr <= 1e-5, `final h: rel ${hErr.toExponential(2)} > 1e-5`);
  if (c.cell === 'lstm') {
    const cErr = relErr(o.state.c.subarray(0, L * B * H), t.c!);
    assert.ok(cErr <= 1e-5, `final c: rel ${cErr.toExponential(2)} > 1e-5`);
  }
  const layout = paramLayout(o.model.config);
  assert.deepEqual(layout.tensors.map((s) => s.name).sort(), Object.keys(t.grads).sort(), 'tensor names differ from torch');
  for (const spec of layout.tensors) {
    const g = Array.from(view(o.grads, spec), (x) => x / c.gradScale);   // ours hold gradScale · ∂Σnats
    const err = relErr(g, t.grads[spec.name]);
    assert.ok(err <= 1e-4, `${spec.name}: ‖ours−torch‖/‖torch‖ = ${err.toExponential(2)} > 1e-4`);
  }
}

/** The WebAssembly kernel builds this runtime can run, when they are built (dist/kernels-*.wasm). */
function wasmBackends(): { name: string; kernels: Kernels }[] {
  try {
    return supportedWasmVariants().map((variant) => ({
      name: `wasm ${variant}`, kernels: loadWasmKernelsSync({ variant, maxMemoryMB: 256 }) as Kernels,
    }));
  } catch {
    return [];
  }
}

describe('PyTorch cross-check (test/torch, float64 reference)', function () {
  let python: string | null = null;
  let dir = '';

  before(function () {
    python = findTorchPython();
    if (!python) {
      // every test below becomes pending, which npm test counts as skipped (and fails on)
      console.warn(`    skipped: PyTorch is not importable from ${PYTHON_CANDIDATES.join(', ')}: ` +
        'run `bash scripts/setup-test-tools.sh` (Debian\'s python3-torch), or set LSTM_LENS_TORCH_PYTHON to a Python with torch.');
      this.skip();
    }
    dir = mkdtempSync(join(tmpdir(), 'lstm-lens-torch-'));
  });

  after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  describe('trainChunk: loss, final state and every gradient', function () {
    const ours: OurResult[] = [];
    const effects: DropoutEffect[][] = [];
    let torch: TorchResult[] = [];

    before(function () {
      if (!python) this.skip();
      const specs = CASES.map((c, i) => {
        const r = runOurs(c, 1000 + i, createRefKernels());
        ours.push(r.ours);
        effects.push(r.effect);
        return torchSpec(c, 1000 + i, dir, r);
      });
      const casesPath = join(dir, 'cases.json'), outPath = join(dir, 'torch-out.json');
      writeFileSync(casesPath, JSON.stringify(specs));
      runPython(python!, 'torch_ref.py', ['--cases', casesPath, outPath]);   // one torch import for all cases
      torch = JSON.parse(readFileSync(outPath, 'utf8')) as TorchResult[];
    });

    CASES.forEach((c, i) => {
      it(c.name, () => assertMatchesTorch(c, ours[i], torch[i]));
    });

    // Without this, an engine and a reference that both ignored the masks would agree too.
    it('dropout changes the state of the layers above a mask in those cases (the masks took effect)', () => {
      const dropped = CASES.map((c, i) => ({ c, i })).filter(({ c }) => c.dropout > 0);
      assert.ok(dropped.length >= 3);
      for (const { c, i } of dropped) {
        assert.equal(effects[i].length, c.chunks);
        effects[i].forEach((e, k) => {
          const rel = relErr(e.dropped, e.undropped);
          assert.ok(rel > 1e-2, `${c.name}, chunk ${k}: final h with and without dropout differ by only ${rel.toExponential(2)}`);
        });
      }
    });

    // The fast path against the same torch numbers (same seeds, so the same weights and ids).
    it('the WebAssembly kernels match torch on every case (when built)', function () {
      const backends = wasmBackends();
      if (backends.length === 0) {
        console.warn('    skipped: no WebAssembly kernels (run npm run build)');
        this.skip();
      }
      for (const { name, kernels } of backends) {
        CASES.forEach((c, i) => {
          try {
            assertMatchesTorch(c, runOurs(c, 1000 + i, kernels).ours, torch[i]);
          } catch (e) {
            throw new Error(`${name}, ${c.name}: ${(e as Error).message}`);
          }
        });
      }
    });
  });

  describe('a checkpoint written by PyTorch', function () {
    // Code-like training text; the held-out text has characters the vocabulary lacks.
    const trainText = Array.from({ length: 30 }, (_, i) =>
      `function f${i % 7}(a, b) {\n  if (a > ${i}) return "x" + b;\n  return a * b; // ${i}\n}\n`).join('');
    const evalTexts = [
      'function g(a, b) {\n  if (a > 3) return "y" + b;\n  return a * b; // done\n}\n',
      'const s = "ünïcode €";\nfunction h(x) { return x; }\n',
      'ab',
    ];
    let evalRef: { bits: number; chars: number; oov: number; next_probs: number[]; final_h: number[]; final_c: number[] | null };
    let ckptPath = '';
    let oovCodePoints = 0;

    before(function () {
      if (!python) this.skip();
      const trainPath = join(dir, 'train.txt');
      writeFileSync(trainPath, trainText);
      const evalPaths = evalTexts.map((t, i) => { const p = join(dir, `eval${i}.txt`); writeFileSync(p, t); return p; });
      const vocabSize = new Set(trainText).size + 1;
      oovCodePoints = 0x110000 - 0x800 - (vocabSize - 1);
      ckptPath = join(dir, 'torch-model.safetensors');
      const evalOut = join(dir, 'torch-eval.json');
      runPython(python!, 'write_checkpoint.py', ['--train', trainPath, '--out', ckptPath, '--cell', 'lstm',
        '--layers', '2', '--hidden', '24', '--steps', '120', '--eval', ...evalPaths,
        '--oov-code-points', String(oovCodePoints), '--eval-out', evalOut]);
      evalRef = JSON.parse(readFileSync(evalOut, 'utf8'));
    });

    it('decodes, and evaluateStreams gives torch\'s bits per char', () => {
      const ck = decodeCheckpoint(new Uint8Array(readFileSync(ckptPath)));
      assert.deepEqual(ck.config, { cell: 'lstm', layers: 2, hidden: 24, vocabSize: ck.vocab.length, dropout: 0 });
      assert.equal(ck.vocab[ck.vocab.length - 1], UNK);
      const model = new CharRNN(ck.config, createRefKernels(), 2, 16);   // 2 lanes, chunks of 16: boundaries inside streams
      model.params.set(ck.params);
      const index = new Map(ck.vocab.slice(0, -1).map((ch, i) => [ch, i]));
      const unkId = ck.vocab.length - 1;
      const streams = evalTexts.map((t) => Int32Array.from([...t], (ch) => index.get(ch) ?? unkId));
      const ours = evaluateStreams(model, streams, { unkId, outOfVocabCodePoints: oovCodePoints });
      assert.equal(ours.chars, evalRef.chars);
      assert.equal(ours.oov, evalRef.oov);
      assert.ok(evalRef.oov > 0, 'the held-out text should exercise UNK');
      const rel = Math.abs(ours.bits - evalRef.bits) / evalRef.bits;
      assert.ok(rel <= 1e-5, `bits: ours ${ours.bits}, torch ${evalRef.bits} (rel ${rel.toExponential(2)} > 1e-5)`);
      // the model learned something: held-out in-vocabulary text is far below log2(V) bits per char
      assert.ok(evalRef.bits / evalRef.chars < Math.log2(ck.vocab.length) + 2);
    });

    it('the Stepper after priming has torch\'s state and next-character distribution', () => {
      const ck = decodeCheckpoint(new Uint8Array(readFileSync(ckptPath)));
      const model = new CharRNN(ck.config, createRefKernels(), 1, 1);
      model.params.set(ck.params);
      const index = new Map(ck.vocab.slice(0, -1).map((ch, i) => [ch, i]));
      const ids = Int32Array.from([...evalTexts[0]], (ch) => index.get(ch) ?? ck.vocab.length - 1);
      const stepper = new Stepper(model);
      stepper.primeLayerwise(ids);
      const L = ck.config.layers;
      const h = Array.from({ length: L }, (_, k) => Array.from(stepper.hidden(k))).flat();
      const c = Array.from({ length: L }, (_, k) => Array.from(stepper.cell(k))).flat();
      assert.ok(relErr(h, evalRef.final_h) <= 1e-5, `h: rel ${relErr(h, evalRef.final_h).toExponential(2)}`);
      assert.ok(relErr(c, evalRef.final_c!) <= 1e-5, `c: rel ${relErr(c, evalRef.final_c!).toExponential(2)}`);
      const p = stepper.probs(1);
      assert.ok(relErr(p, evalRef.next_probs) <= 1e-5, `probs: rel ${relErr(p, evalRef.next_probs).toExponential(2)}`);
    });
  });

  describe('checkpoints our encoder wrote, read by PyTorch', function () {
    // Models trained by our Trainer with dropout on, so the file's config has dropout > 0; torch
    // builds its modules with that dropout and must evaluate with it off (eval mode).
    const MODELS: { name: string; config: Omit<ModelConfig, 'vocabSize'>; steps: number }[] = [
      { name: 'lstm ×3, dropout 0.25', config: { cell: 'lstm', layers: 3, hidden: 16, dropout: 0.25 }, steps: 12 },
      { name: 'gru ×4, dropout 0.4', config: { cell: 'gru', layers: 4, hidden: 12, dropout: 0.4 }, steps: 12 },
      { name: 'rnn ×2, dropout 0.1', config: { cell: 'rnn', layers: 2, hidden: 16, dropout: 0.1 }, steps: 12 },
    ];
    const trainText = Array.from({ length: 12 }, (_, i) => `if (x${i % 5} > ${i}) {\n  y = "a" + x;\n}\n`).join('');
    // held-out text, with characters outside the vocabulary
    const evalTexts = ['if (x2 > 40) {\n  y = "b" + x;\n}\n', 'z = "ünï €";\nif (q) { y = 1; }\n'];
    const vocab = [...[...new Set(trainText)].sort(), UNK];
    const index = new Map(vocab.slice(0, -1).map((ch, i) => [ch, i]));
    const unkId = vocab.length - 1;
    const encode = (t: string) => Int32Array.from([...t], (ch) => index.get(ch) ?? unkId);
    const oovCodePoints = 0x110000 - 0x800 - (vocab.length - 1);
    const written: { file: string; bytes: Uint8Array; model: CharRNN; config: ModelConfig }[] = [];
    let read: {
      config: Record<string, unknown>; vocab: string[]; tensors: string[]; metadata_keys: string[];
      eval: { bits: number; chars: number; oov: number; next_probs: number[]; final_h: number[]; final_c: number[] | null };
      train_mode_changes_output: boolean;
    }[] = [];

    before(function () {
      if (!python) this.skip();
      const evalPaths = evalTexts.map((t, i) => { const p = join(dir, `ours-eval${i}.txt`); writeFileSync(p, t); return p; });
      MODELS.forEach((m, i) => {
        const config: ModelConfig = { ...m.config, vocabSize: vocab.length };
        const model = new CharRNN(config, createRefKernels(), 4, 16);
        model.initParams(new Rng(20 + i));
        const trainer = new Trainer(model, { ...DEFAULT_TRAIN, batchSize: 4, seqLength: 16, learningRate: 1e-2, seed: 5 + i }, encode(trainText));
        for (let s = 0; s < m.steps; s++) trainer.step();
        const bytes = encodeCheckpoint({
          config, vocab, params: model.params,
          training: { steps: m.steps, charsSeen: 0, elapsedMs: 0, valBpcHistory: [] },
        });
        const file = join(dir, `ours-${i}.safetensors`);
        writeFileSync(file, bytes);
        written.push({ file, bytes, model, config });
      });
      const jobsPath = join(dir, 'read-jobs.json'), outPath = join(dir, 'read-out.json');
      writeFileSync(jobsPath, JSON.stringify(written.map((w) => ({ model: w.file, eval: evalPaths, oov_code_points: oovCodePoints }))));
      runPython(python!, 'read_checkpoint.py', [jobsPath, outPath]);
      read = JSON.parse(readFileSync(outPath, 'utf8'));
    });

    MODELS.forEach((m, i) => {
      it(`${m.name}: torch reads its config, vocabulary and tensors, and it round-trips through decodeCheckpoint`, () => {
        const { bytes, model, config } = written[i];
        assert.deepEqual(read[i].config, config, 'the config torch read, dropout included');
        assert.deepEqual(read[i].vocab, vocab);
        assert.deepEqual(read[i].tensors, paramLayout(config).tensors.map((t) => t.name), 'tensor names in layout order');
        assert.ok(read[i].train_mode_changes_output, 'torch built its modules with the dropout of the file (training mode changes the output)');
        const back = decodeCheckpoint(bytes);
        assert.deepEqual(back.config, config);
        assert.equal(back.config.dropout, m.config.dropout);
        assert.deepEqual(back.vocab, vocab);
        assert.deepEqual(Array.from(back.params), Array.from(model.params), 'parameters bit-identical');
      });

      it(`${m.name}: torch in eval mode gives our bits per char, state and next-character distribution`, () => {
        const { bytes } = written[i];
        // our side from the decoded file, as lstm-lens eval would load it; dropout is off in evaluation
        const ck = decodeCheckpoint(bytes);
        const model = new CharRNN(ck.config, createRefKernels(), 2, 8);   // chunks of 8: boundaries inside streams
        model.params.set(ck.params);
        const ours = evaluateStreams(model, evalTexts.map(encode), { unkId, outOfVocabCodePoints: oovCodePoints });
        const ref = read[i].eval;
        assert.equal(ours.chars, ref.chars);
        assert.equal(ours.oov, ref.oov);
        assert.ok(ref.oov > 0, 'the held-out text should exercise UNK');
        const rel = Math.abs(ours.bits - ref.bits) / ref.bits;
        assert.ok(rel <= 1e-5, `bits: ours ${ours.bits}, torch ${ref.bits} (rel ${rel.toExponential(2)} > 1e-5)`);

        const one = new CharRNN(ck.config, createRefKernels(), 1, 1);
        one.params.set(ck.params);
        const stepper = new Stepper(one);
        stepper.primeLayerwise(encode(evalTexts[0]));
        const L = ck.config.layers;
        const h = Array.from({ length: L }, (_, k) => Array.from(stepper.hidden(k))).flat();
        assert.ok(relErr(h, ref.final_h) <= 1e-5, `h: rel ${relErr(h, ref.final_h).toExponential(2)}`);
        if (ck.config.cell === 'lstm') {
          const c = Array.from({ length: L }, (_, k) => Array.from(stepper.cell(k))).flat();
          assert.ok(relErr(c, ref.final_c!) <= 1e-5, `c: rel ${relErr(c, ref.final_c!).toExponential(2)}`);
        } else {
          assert.equal(ref.final_c, null);
        }
        const p = stepper.probs(1);
        assert.ok(relErr(p, ref.next_probs) <= 1e-5, `probs: rel ${relErr(p, ref.next_probs).toExponential(2)}`);
      });
    });
  });
});
