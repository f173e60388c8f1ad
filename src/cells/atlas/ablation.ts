// Ablation: does the model use the cell for what the atlas says it tracks? Read a stretch of the
// scoring half once as trained and once with the cell held at a value (its mean over the text,
// or zero; Stepper.setClamp), and compare the bits each character costs, inside the feature and
// outside it. A cell that matters for strings costs bits inside strings.
//
// Bits of character i = −log2 p(x_i | x_<i): attributed to character i, and "inside" when
// character i is inside the feature (binary), or when its value is at least the median of the
// stretch (numeric: deep indentation, long lines).
import type { CharRNN } from '../../engine/model';
import { Stepper } from '../../engine/stepper';
import { WINDOW, cellValues, type Activations } from '../activations';
import type { Feature } from './features';

export type ClampTo = 'mean' | 'zero';

export interface AblationResult {
  /** Mean rise in bits per character, clamped − as trained, inside the feature and outside it;
   *  null when the stretch read has no character on that side. */
  inside_bits: number | null;
  outside_bits: number | null;
  /** Characters inside and outside in the stretch read. */
  inside_chars: number;
  outside_chars: number;
}

export interface AblationRun {
  /** Rows [start, end) of the activations that were read. */
  start: number;
  end: number;
  clamp: ClampTo;
  /** bits per character as trained over the stretch */
  baseBits: number;
  /** Per cell key "layer:index": the bits of each character of the stretch with the cell held. */
  bits: Map<string, Float32Array>;
  base: Float32Array;
}

/** Bits per character of rows [start, end) (their ids are the last column of a.window), as
 *  trained and with each of `cells` held in turn. `onCell` after each, for progress. */
export async function runAblations(model: CharRNN, a: Activations, start: number, end: number,
  cells: readonly { layer: number; index: number }[], clamp: ClampTo,
  opts: { onCell?: (done: number, total: number) => void; yieldEvery?: () => Promise<void> } = {}): Promise<AblationRun> {
  const ids = new Int32Array(end - start);
  for (let i = 0; i < ids.length; i++) ids[i] = a.window[(start + i) * WINDOW + WINDOW - 1];
  const stepper = new Stepper(model);
  const read = (held?: { layer: number; index: number; value: number }) => {
    stepper.reset();
    stepper.setClamp(held);
    const bits = new Float32Array(ids.length);
    const p = new Float32Array(model.config.vocabSize);
    for (let i = 0; i < ids.length; i++) {
      // the first character has no context inside the stretch: it costs what a fresh state says
      stepper.probs(1, p);
      bits[i] = -Math.log2(Math.max(p[ids[i]], 1e-30));
      stepper.feed(ids[i]);
    }
    stepper.setClamp(undefined);
    return bits;
  };
  stepper.reset();
  const base = read();
  const out = new Map<string, Float32Array>();
  let done = 0;
  for (const c of cells) {
    const key = `${c.layer}:${c.index}`;
    if (out.has(key)) continue;
    const value = clamp === 'zero' ? 0 : mean(cellValues(a, c.layer * a.hidden + c.index));
    out.set(key, read({ layer: c.layer, index: c.index, value }));
    opts.onCell?.(++done, cells.length);
    if (opts.yieldEvery) await opts.yieldEvery();
  }
  let s = 0;
  for (const b of base) s += b;
  return { start, end, clamp, base, baseBits: s / Math.max(1, base.length), bits: out };
}

/** The rise in bits inside and outside `feature` when `cell` was held, over the run's stretch. */
export function ablationEffect(run: AblationRun, feature: Feature, cell: { layer: number; index: number }): AblationResult | undefined {
  const held = run.bits.get(`${cell.layer}:${cell.index}`);
  if (!held) return undefined;
  const n = run.end - run.start;
  const inside = new Uint8Array(n);
  if (feature.kind === 'binary') {
    const sp = feature.spans;
    for (let j = 0; j < sp.length; j += 2) {
      const a = Math.max(run.start, sp[j]), b = Math.min(run.end, sp[j + 1]);
      for (let i = a; i < b; i++) inside[i - run.start] = 1;
    }
  } else {
    const v = feature.values.subarray(run.start, run.end);
    const median = Float32Array.from(v).sort()[n >> 1];
    for (let i = 0; i < n; i++) inside[i] = v[i] >= median ? 1 : 0;
  }
  let si = 0, so = 0, ni = 0, no = 0;
  for (let i = 0; i < n; i++) {
    const rise = held[i] - run.base[i];
    if (inside[i]) { si += rise; ni++; } else { so += rise; no++; }
  }
  return { inside_bits: ni ? round(si / ni) : null, outside_bits: no ? round(so / no) : null, inside_chars: ni, outside_chars: no };
}

function mean(x: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return x.length ? s / x.length : 0;
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
