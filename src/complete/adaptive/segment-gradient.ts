// The gradient 'full' dynamic evaluation steps on: one segment of text at batch 1, from the
// recurrent state the stepper had at the segment's start, through CharRNN's own forward and
// backward (truncated BPTT: no gradient flows into that start state).
//
//   ids (n+1)           the segment: inputs ids[0..n), targets ids[1..n]
//   start (2·L·H)       h (L, H) then c (L, H) before ids[0] was read (Stepper.saveState's layout)
//   model.grads (P)     overwritten with ∂/∂θ of the mean loss over the n targets (nats/char)
import type { CharRNN, RecurrentState } from '../../engine/model';

export class SegmentGradient {
  private readonly inputs: Int32Array;
  private readonly targets: Int32Array;
  private readonly state: RecurrentState;   // (L, 1, H) scratch: trainChunk leaves the end state in it
  private readonly n2: number;              // L·H

  /** model: batch 1, maxT ≥ the longest segment, no dropout (adaptation never drops units). */
  constructor(private readonly model: CharRNN) {
    if (model.maxB < 1 || model.config.dropout !== 0) throw new Error('Dynamic evaluation needs a batch-1 model without dropout.');
    this.inputs = model.kernels.allocInt(model.maxT);
    this.targets = model.kernels.allocInt(model.maxT);
    this.state = model.newState(1);
    this.n2 = model.config.layers * model.config.hidden;
  }

  /** Writes the gradient into model.grads; returns the segment's mean loss in nats. */
  compute(ids: Int32Array, n: number, start: Float32Array): number {
    const m = this.model;
    if (!(n >= 1 && n <= m.maxT && ids.length >= n + 1)) throw new Error(`A segment of ${n} characters does not fit (at most ${m.maxT}).`);
    for (let t = 0; t < n; t++) { this.inputs[t] = ids[t]; this.targets[t] = ids[t + 1]; }
    this.state.h.set(start.subarray(0, this.n2));
    this.state.c.set(start.subarray(this.n2, 2 * this.n2));
    m.grads.fill(0);
    return m.trainChunk(this.inputs, this.targets, n, 1, this.state, null, 1 / n) / n;
  }

  /** The state at the end of the last segment computed (h then c), into out (2·L·H). */
  endState(out: Float32Array): void {
    out.set(this.state.h.subarray(0, this.n2), 0);
    out.set(this.state.c.subarray(0, this.n2), this.n2);
  }
}
