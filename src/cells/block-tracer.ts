// Traces for the heatmap, fast: the model run over a text layer by layer in blocks of steps, as
// Stepper.primeLayerwise does (each layer's input projection is one gather/matmul per block),
// recording on the way the value of some cells after every character and how often each sigmoid
// gate sits below 0.1 or above 0.9 (the paper's gate-saturation plot). About twice as fast as
// feeding a Stepper character by character, which computes all layers for each step.
//
// Shapes: state h, c (L, H) (saveState: h then c, as Stepper's); per block: xs (n, G·H) input
// projections, ys (n, H) a layer's outputs for the layer above, act (G·H) one step's gates.
import { gatesPerUnit } from '../engine/config';
import type { Kernels } from '../engine/kernels';
import type { CharRNN } from '../engine/model';
import { view } from '../engine/params';
import type { CellRef } from './trace';

export const TRACE_BLOCK = 256;

/** Which gate rows are sigmoids, by cell type (PyTorch order): LSTM i, f, (g is tanh), o; GRU r, z. */
export function sigmoidGates(cell: CharRNN['config']['cell']): { name: string; row: number }[] {
  if (cell === 'lstm') return [{ name: 'input', row: 0 }, { name: 'forget', row: 1 }, { name: 'output', row: 3 }];
  if (cell === 'gru') return [{ name: 'reset', row: 0 }, { name: 'update', row: 1 }];
  return [];
}

/** Gate counts: per layer, per sigmoid gate, per unit, how many steps it was < 0.1 and > 0.9. */
export interface GateCounts {
  steps: number;
  /** (L, gates, H); 16 bits: one per block of TRACE_BLOCK steps is kept for each document */
  low: Uint16Array;
  high: Uint16Array;
}

export class BlockTracer {
  private readonly K: Kernels;
  private readonly L: number; private readonly H: number; private readonly V: number; private readonly GH: number;
  private readonly wih: Float32Array[]; private readonly whh: Float32Array[];
  private readonly bih: Float32Array[]; private readonly bhh: Float32Array[];
  private readonly h: Float32Array; private readonly c: Float32Array;         // (L, H)
  private readonly hV: Float32Array[]; private readonly cV: Float32Array[];
  private readonly hNew: Float32Array; private readonly cNew: Float32Array;   // (H)
  private readonly hg: Float32Array; private readonly act: Float32Array;      // (G·H)
  private readonly ids: Int32Array;                                            // (TRACE_BLOCK)
  private readonly xs: Float32Array; private readonly ys: Float32Array;
  private readonly gates: { name: string; row: number }[];

  constructor(private readonly model: CharRNN) {
    const K = this.K = model.kernels, cfg = model.config;
    const L = this.L = cfg.layers, H = this.H = cfg.hidden;
    this.V = cfg.vocabSize;
    const GH = this.GH = gatesPerUnit(cfg.cell) * H;
    const lay = model.layout;
    this.wih = lay.layers.map((s) => view(model.params, s.wih));
    this.whh = lay.layers.map((s) => view(model.params, s.whh));
    this.bih = lay.layers.map((s) => view(model.params, s.bih));
    this.bhh = lay.layers.map((s) => view(model.params, s.bhh));
    this.h = K.alloc(L * H); this.c = K.alloc(L * H);
    this.hV = []; this.cV = [];
    for (let k = 0; k < L; k++) { this.hV.push(this.h.subarray(k * H, (k + 1) * H)); this.cV.push(this.c.subarray(k * H, (k + 1) * H)); }
    this.hNew = K.alloc(H); this.cNew = K.alloc(H);
    this.hg = K.alloc(GH); this.act = K.alloc(GH);
    this.ids = K.allocInt(TRACE_BLOCK);
    this.xs = K.alloc(TRACE_BLOCK * GH); this.ys = K.alloc(TRACE_BLOCK * H);
    this.gates = sigmoidGates(cfg.cell);
  }

  get stateSize(): number { return 2 * this.L * this.H; }

  reset(): void { this.h.fill(0); this.c.fill(0); }

  saveState(out?: Float32Array): Float32Array {
    const n = this.L * this.H, s = out ?? new Float32Array(2 * n);
    s.set(this.h, 0); s.set(this.c, n);
    return s;
  }

  loadState(s: Float32Array): void {
    const n = this.L * this.H;
    this.h.set(s.subarray(0, n)); this.c.set(s.subarray(n, 2 * n));
  }

  /** Counters for up to 65,535 steps (run() adds to them; a block is TRACE_BLOCK). */
  newGateCounts(): GateCounts {
    const n = this.L * this.gates.length * this.H;
    return { steps: 0, low: new Uint16Array(n), high: new Uint16Array(n) };
  }

  /**
   * Feeds ids[start, end) (at most TRACE_BLOCK at a time internally). When out is given, writes
   * the value of cells[k] after ids[t] to out[k][t − outOffset] for t ≥ outOffset (c for LSTM,
   * h otherwise); when gates is given, adds each step's saturated gates to it.
   */
  run(ids: Int32Array, start: number, end: number, cells?: readonly CellRef[], out?: Float32Array[], outOffset = 0, gates?: GateCounts): void {
    for (let b = start; b < end; b += TRACE_BLOCK) this.block(ids, b, Math.min(end, b + TRACE_BLOCK), cells, out, outOffset, gates);
  }

  private block(src: Int32Array, start: number, end: number, cells: readonly CellRef[] | undefined, out: Float32Array[] | undefined, outOffset: number, gates: GateCounts | undefined): void {
    const K = this.K, H = this.H, GH = this.GH, V = this.V, n = end - start, cell = this.model.config.cell;
    for (let i = 0; i < n; i++) {
      const id = src[start + i];
      if (!(id >= 0 && id < V)) throw new Error(`Character index ${id} is outside the vocabulary of ${V}.`);
      this.ids[i] = id;
    }
    const xs = this.xs.subarray(0, n * GH), ys = this.ys.subarray(0, n * H);
    const G = this.gates.length;
    for (let k = 0; k < this.L; k++) {
      if (k === 0) K.gatherColumns(xs, this.wih[0], this.bih[0], this.ids, n, GH, V);
      else K.matmul(xs, ys, this.wih[k], this.bih[k], n, H, GH, false);
      const tracked: number[] = [];   // indices into cells of this layer's cells
      if (cells && out) cells.forEach((c, j) => { if (c.layer === k) tracked.push(j); });
      const hk = this.hV[k], ck = this.cV[k];
      const value = cell === 'lstm' ? ck : hk;
      for (let i = 0; i < n; i++) {
        K.matmul(this.hg, hk, this.whh[k], this.bhh[k], 1, H, GH, false);
        K.cellForward(cell, 1, H, xs.subarray(i * GH, (i + 1) * GH), this.hg, hk, ck, this.hNew, this.cNew, this.act);
        hk.set(this.hNew);
        if (cell === 'lstm') ck.set(this.cNew);
        ys.set(hk, i * H);
        const t = start + i - outOffset;
        if (t >= 0) for (const j of tracked) out![j][t] = value[cells![j].index];
        if (gates) {
          const act = this.act;
          for (let g = 0; g < G; g++) {
            const row = this.gates[g].row * H, base = (k * G + g) * H;
            for (let u = 0; u < H; u++) {
              const a = act[row + u];
              if (a < 0.1) gates.low[base + u]++;
              else if (a > 0.9) gates.high[base + u]++;
            }
          }
        }
      }
    }
    if (gates) gates.steps += n;
  }
}
