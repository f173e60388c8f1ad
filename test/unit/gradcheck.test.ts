// Finite-difference checks of CharRNN.trainChunk's gradients, on every parameter tensor, for
// every cell type with 1 and 2 layers, across two chunks with carried state and masked targets.
//
// The sharp check runs the same reference kernels in float64 (the model only ever calls
// kernels.alloc, and the reference loops do not care about the element type), so central
// differences are accurate to ~1e-8 and a tolerance of 1e-5 catches any real bug. A second,
// looser check runs the real float32 path with eps = 1e-3.
import { strict as assert } from 'node:assert';
import { CharRNN, RecurrentState } from '../../src/engine/model';
import { createRefKernels } from '../../src/engine/kernels-ref';
import type { Kernels } from '../../src/engine/kernels';
import { refKernels64 } from './finite-difference';
import { Rng } from '../../src/engine/rng';
import type { CellType, ModelConfig } from '../../src/engine/config';


const T = 4, B = 3, V = 5, H = 3;

interface Problem {
  model: CharRNN;
  chunks: { inputs: Int32Array; targets: Int32Array }[];
  state0: RecurrentState;
  dropoutSeed: number;
}

function makeProblem(cell: CellType, layers: number, kernels: Kernels, dropout = 0): Problem {
  const config: ModelConfig = { cell, layers, hidden: H, vocabSize: V, dropout };
  const model = new CharRNN(config, kernels, B, T);
  const rng = new Rng(11);
  // larger than the default init so that gates are not all near their linear regime
  for (let i = 0; i < model.params.length; i++) model.params[i] = rng.uniform(-0.8, 0.8);
  const chunks = [0, 1].map(() => ({
    inputs: Int32Array.from({ length: T * B }, () => rng.int(V)),
    // every fifth target masked
    targets: Int32Array.from({ length: T * B }, (_, i) => (i % 5 === 2 ? -1 : rng.int(V))),
  }));
  const state0 = model.newState(B);
  for (let i = 0; i < state0.h.length; i++) { state0.h[i] = rng.uniform(-0.5, 0.5); state0.c[i] = rng.uniform(-0.5, 0.5); }
  return { model, chunks, state0, dropoutSeed: 5 };
}

const copyState = (m: CharRNN, s: RecurrentState): RecurrentState => {
  const c = m.newState(B);
  c.h.set(s.h); c.c.set(s.c);
  return c;
};

/** Σ loss over both chunks, the second from the first's final state; truncated BPTT means the
 *  carried state is a constant for chunk 2, so numerically we hold it at its unperturbed value. */
function lossOf(p: Problem, carried: RecurrentState, scale: number): number {
  const { model, chunks } = p;
  const saved = model.grads.slice();  // trainChunk accumulates; keep grads intact
  const rng = new Rng(p.dropoutSeed);
  const s0 = copyState(model, p.state0), s1 = copyState(model, carried);
  let loss: number;
  if (model.config.dropout > 0) {
    // dropout masks must be the same draws as in the analytic run: same generator, same order
    loss = model.trainChunk(chunks[0].inputs, chunks[0].targets, T, B, s0, rng, scale)
      + model.trainChunk(chunks[1].inputs, chunks[1].targets, T, B, s1, rng, scale);
  } else {
    loss = model.lossChunk(chunks[0].inputs, chunks[0].targets, T, B, s0)
      + model.lossChunk(chunks[1].inputs, chunks[1].targets, T, B, s1);
  }
  model.grads.set(saved);
  return loss * scale;
}

/** Analytic gradients of both chunks; returns the state carried into chunk 2. */
function analytic(p: Problem, scale: number): RecurrentState {
  const { model, chunks } = p;
  model.grads.fill(0);
  const rng = new Rng(p.dropoutSeed);
  const s = copyState(model, p.state0);
  model.trainChunk(chunks[0].inputs, chunks[0].targets, T, B, s, rng, scale);
  const carried = copyState(model, s);
  model.trainChunk(chunks[1].inputs, chunks[1].targets, T, B, s, rng, scale);
  return carried;
}

/** Worst relative error over sampled entries of every tensor: |a−n| / max(|a|+|n|, floor). */
function worstError(p: Problem, eps: number, floor: number, perTensor: number, scale: number, corrupt?: (g: Float32Array) => void):
  { err: number; where: string } {
  const carried = analytic(p, scale);
  if (corrupt) corrupt(p.model.grads);
  const { model } = p;
  const rng = new Rng(99);
  let worst = { err: 0, where: '' };
  for (const t of model.layout.tensors) {
    const picks = new Set<number>();
    while (picks.size < Math.min(perTensor, t.size)) picks.add(t.offset + rng.int(t.size));
    for (const i of picks) {
      const orig = model.params[i];
      model.params[i] = orig + eps; const up = lossOf(p, carried, scale);
      model.params[i] = orig - eps; const down = lossOf(p, carried, scale);
      model.params[i] = orig;
      const num = (up - down) / (2 * eps), ana = model.grads[i];
      const err = Math.abs(num - ana) / Math.max(Math.abs(num) + Math.abs(ana), floor);
      if (err > worst.err) worst = { err, where: `${t.name}[${i - t.offset}] analytic ${ana} numeric ${num}` };
    }
  }
  if (process.env.GC_DEBUG) console.log(worst.err.toExponential(2), worst.where);
  return worst;
}

describe('gradient check (finite differences)', () => {
  for (const cell of ['lstm', 'gru', 'rnn'] as CellType[]) {
    for (const layers of [1, 2]) {
      it(`${cell} × ${layers} layer${layers > 1 ? 's' : ''}: every tensor, carried state, masked targets (float64)`, () => {
        const w = worstError(makeProblem(cell, layers, refKernels64()), 1e-5, 1e-4, 8, 1);
        assert.ok(w.err < 1e-5, `relative error ${w.err} at ${w.where}`);
      });
    }
  }

  it('lstm × 3 layers with dropout 0.3 (same masks for both runs)', () => {
    const w = worstError(makeProblem('lstm', 3, refKernels64(), 0.3), 1e-5, 1e-4, 8, 1);
    assert.ok(w.err < 1e-5, `relative error ${w.err} at ${w.where}`);
  });

  for (const cell of ['lstm', 'gru'] as CellType[]) {
    it(`${cell} × 2 layers in float32 (eps 1e-3), with gradScale 1/(B·T)`, () => {
      const w = worstError(makeProblem(cell, 2, createRefKernels()), 1e-3, 1e-3, 6, 1 / (B * T));
      assert.ok(w.err < 2e-2, `relative error ${w.err} at ${w.where}`);
    });
  }

  it('detects a corrupted gradient (a 1% error in one entry of weight_hh_l1)', () => {
    const p = makeProblem('lstm', 2, refKernels64());
    const t = p.model.layout.tensors.find((x) => x.name === 'rnn.weight_hh_l1')!;
    // corrupt every entry of that tensor so the sampled entries surely include one
    const w = worstError(p, 1e-5, 1e-4, t.size, 1, (g) => { for (let i = 0; i < t.size; i++) g[t.offset + i] *= 1.01; });
    assert.ok(w.err > 1e-3, `a corrupted gradient went unnoticed (worst error ${w.err})`);
  });

  it('accumulates into grads and scales by gradScale', () => {
    const p = makeProblem('gru', 2, refKernels64());
    analytic(p, 1);
    const once = p.model.grads.slice();
    const s = copyState(p.model, p.state0);
    p.model.trainChunk(p.chunks[0].inputs, p.chunks[0].targets, T, B, s, null, 0.5);
    p.model.trainChunk(p.chunks[1].inputs, p.chunks[1].targets, T, B, s, null, 0.5);
    for (let i = 0; i < once.length; i++) assert.ok(Math.abs(p.model.grads[i] - 1.5 * once[i]) < 1e-9 * (1 + Math.abs(once[i])));
  });
});
