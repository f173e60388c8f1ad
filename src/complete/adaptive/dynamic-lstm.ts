// Dynamic evaluation: the LSTM as a component of the completion predictor that keeps learning
// from the text it reads (Krause et al. 2017, "Dynamic Evaluation of Neural Sequence Models").
//
//   probs()   the next-character distribution at the current position, from the weights as
//             adapted on the text before it
//   feed(id)  the character that came next: the state moves on, and the step that learns from
//             it is queued; adaptPending() runs the queue (a completion request can interrupt it
//             between two steps), so probs() never waits for learning and never sees a
//             character it predicts
//
// Modes:
//   'full'    every `segment` characters, one gradient step on that segment: BPTT through it
//             at batch 1 from the state the stepper had at its start (segment-gradient.ts),
//             then Krause's RMS-normalised step pulled back toward the trained weights
//             (rms-step.ts). The stepper reads a packed copy of the weights: rebuilt once per
//             adaptPending() that changed them, not once per step.
//   'output'  the decoder alone, one step per character (as cmix adapts its output layer), on a
//             float32 copy of it beside the model (output-layer.ts): the recurrent weights, and
//             so the stepper's packed copy, never change.
//   'off'     the trained LSTM, frozen.
//
// Gradient statistics (the r of rms-step.ts): from `statsText`, gradients of the same kind as
// adaptation's (segments of `segment` characters, or single characters for 'output') over its
// first `statsChars` characters, computed when the component is made, e.g. the model's
// calibration text (held-out files of its training corpus); without it, from the first `warmup`
// steps read (a running mean that includes the step being taken).
//
// The trained model is never written: 'full' works on a batch-1 copy of it, 'output' reads the
// trained recurrent weights (through a stepper, whose packed copy it shares) and adapts its own
// decoder. The component allocates from the model's kernels, whose WebAssembly heap never frees:
// make one per model and session, and reset()/restoreTrained() it.
import { CharRNN } from '../../engine/model';
import { Stepper } from '../../engine/stepper';
import { OutputLayer } from './output-layer';
import { Ring } from './ring';
import { GradientStats, RmsStepHyper, rangesFrom, rmsStep } from './rms-step';
import { SegmentGradient } from './segment-gradient';

export type DynamicEvalMode = 'full' | 'output' | 'off';

export interface DynamicEvalOptions {
  mode: DynamicEvalMode;
  /** 'full': characters per gradient step (default 20). */
  segment?: number;
  /** 'full': learn from one segment in this many (default 1: every one), the others are read
   *  and not learned from: a cost/quality trade for slow machines. */
  learnEvery?: number;
  /** η per character read: a step on n characters moves by n·lr (Krause scales η with the
   *  segment length alike), so settings compare across segment lengths (default: 'full'
   *  5e-5, 'output' 5e-3). Tuned at segment 20: longer segments take larger steps and need a
   *  smaller η (segment 50 at 5e-5 diverged on C, bench/dynamic-eval.md). */
  lr?: number;
  /** λ per character read: the pull toward the trained weights of a step on n characters is
   *  n·decay for a parameter of average gradient RMS (default: 'full' 5e-4, 'output' 1e-4). */
  decay?: number;
  /** ε, relative to the mean gradient RMS (default: 'full' 0.01; 'output' 1, where the
   *  per-parameter scaling of rare characters' rows hurts: bench/dynamic-eval.md). */
  eps?: number;
  /** Streams of ids to take the gradient statistics from (the model's calibration text). */
  statsText?: Int32Array[];
  /** Characters of statsText read for the statistics (default 20,000). */
  statsChars?: number;
  /** Without statsText: steps whose gradients make the statistics (default: 'full' 100, 'output' 2,000). */
  warmup?: number;
  /** Characters read but not yet learned from that are kept at most; older ones are dropped
   *  (default: 'full' 65,536, about 14 MB for a 2×256 LSTM; 'output' 16,384, 16 MB). */
  maxPending?: number;
}

const DEFAULTS = {
  full: { segment: 20, lr: 5e-5, decay: 5e-4, eps: 0.01, warmup: 100 },
  output: { segment: 1, lr: 5e-3, decay: 1e-4, eps: 1, warmup: 2000 },
  off: { segment: 1, lr: 0, decay: 0, eps: 1, warmup: 0 },
} as const;

/** A segment read, waiting for its gradient step ('full'). */
interface SegmentSlot { start: Float32Array; ids: Int32Array; n: number }
/** A character read, waiting for its decoder step ('output'): the top layer's h before it, and it. */
interface CharSlot { h: Float32Array; target: number }

export class DynamicLstm {
  readonly V: number;
  readonly mode: DynamicEvalMode;
  readonly segment: number;
  private readonly learnEvery: number;
  private segmentsRead = 0;
  private readonly hyper: RmsStepHyper;
  private readonly warmup: number;
  private readonly L: number; private readonly H: number;
  private readonly stepper: Stepper;
  private readonly stats: GradientStats | null;
  private readonly statsFromText: boolean;
  private stepsTaken = 0;
  private weightsChanged = false;   // 'full': the stepper's packed copy is stale

  // 'full'
  private readonly copy: CharRNN | null = null;          // batch 1, maxT = segment, no dropout
  private readonly gradient: SegmentGradient | null = null;
  private readonly segments: Ring<SegmentSlot> | null = null;
  private readonly part: SegmentSlot | null = null;      // the segment being read (part.n + 1 ids so far)
  private partLength = 0;                                // ids in part (inputs and the last target)
  // 'output'
  private readonly output: OutputLayer | null = null;
  private readonly chars: Ring<CharSlot> | null = null;
  private readonly pScratch: Float32Array;
  private readonly hKernel: Float32Array | null = null;  // (H) a queued h, in the kernels' memory for the decoder's product
  private hasRead = false;                               // a character was read since the stream's start
  // the trained values of the adapted range (all parameters, or the decoder's)
  private readonly theta0: Float32Array;

  constructor(private readonly trained: CharRNN, opts: DynamicEvalOptions) {
    const cfg = trained.config, K = trained.kernels;
    if (!(opts.mode in DEFAULTS)) throw new Error(`Unknown dynamic evaluation mode "${String(opts.mode)}"; use full, output or off.`);
    this.mode = opts.mode;
    const d = DEFAULTS[opts.mode];
    this.V = cfg.vocabSize; this.L = cfg.layers; this.H = cfg.hidden;
    this.segment = opts.mode === 'full' ? opts.segment ?? d.segment : 1;
    this.hyper = { lr: opts.lr ?? d.lr, decay: opts.decay ?? d.decay, eps: opts.eps ?? d.eps };
    this.warmup = opts.warmup ?? d.warmup;
    this.learnEvery = opts.learnEvery ?? 1;
    if (!(Number.isInteger(this.learnEvery) && this.learnEvery >= 1)) throw new Error(`Learning from one segment in n needs a whole n of at least 1, not ${this.learnEvery}.`);
    checkOptions(this.segment, this.hyper, this.warmup, opts);
    this.pScratch = new Float32Array(this.V);
    const maxPendingChars = opts.maxPending ?? (opts.mode === 'output' ? 16384 : 65536);

    if (opts.mode === 'full') {
      this.copy = new CharRNN({ ...cfg, dropout: 0 }, K, 1, this.segment);
      this.copy.params.set(trained.params);
      this.theta0 = trained.params.slice();
      this.gradient = new SegmentGradient(this.copy);
      const stateSize = 2 * this.L * this.H, T = this.segment;
      const makeSlot = (): SegmentSlot => ({ start: new Float32Array(stateSize), ids: new Int32Array(T + 1), n: 0 });
      this.segments = new Ring(Math.max(1, Math.ceil(maxPendingChars / T)), makeSlot);
      this.part = makeSlot();
      this.stepper = new Stepper(this.copy);
      this.stats = new GradientStats(this.theta0.length, rangesFrom(this.copy.layout.tensors));
    } else if (opts.mode === 'output') {
      const lay = trained.layout, from = lay.decoderWeight.offset, to = lay.decoderBias.offset + lay.decoderBias.size;
      this.output = new OutputLayer(K, this.V, this.H);
      this.output.theta.set(trained.params.subarray(from, to));
      this.theta0 = this.output.theta.slice();
      // slots in the JavaScript heap (the WebAssembly heap never frees); a step copies its h into hKernel
      this.chars = new Ring(Math.max(1, maxPendingChars), () => ({ h: new Float32Array(this.H), target: 0 }));
      this.hKernel = K.alloc(this.H);
      this.stepper = new Stepper(trained);   // reads the trained recurrent weights, never writes them
      this.stats = new GradientStats(this.theta0.length, rangesFrom([lay.decoderWeight, lay.decoderBias]));
    } else {
      this.theta0 = new Float32Array(0);
      this.stepper = new Stepper(trained);
      this.stats = null;
    }
    this.statsFromText = !!opts.statsText?.length && this.stats !== null;
    if (this.statsFromText) this.collectStats(opts.statsText!, opts.statsChars ?? 20000);
  }

  /** Characters read whose learning step is still queued. */
  get pendingChars(): number {
    return this.segments ? this.segments.size * this.segment : this.chars ? this.chars.size : 0;
  }

  /** Gradient steps taken since the component was made. */
  get steps(): number { return this.stepsTaken; }

  /** Characters dropped unlearned because the queue was full. */
  get droppedChars(): number {
    return this.segments ? this.segments.dropped * this.segment : this.chars ? this.chars.dropped : 0;
  }

  /** A copy of the weights probs() predicts with, in the model's layout (what a user who asks to
   *  keep the adaptation would save). */
  adaptedParams(): Float32Array {
    if (this.copy) return this.copy.params.slice();
    const p = this.trained.params.slice();
    if (this.output) p.set(this.output.theta, this.trained.layout.decoderWeight.offset);
    return p;
  }

  /** (V) the next-character distribution at the current position. */
  probs(out: Float32Array): Float32Array {
    if (this.output) return this.output.probs(this.stepper.hidden(this.L - 1), out);
    this.freshWeights();
    return this.stepper.probs(1, out);
  }

  /** The character that came next: moves the state on and queues learning from it. */
  feed(id: number): void {
    if (!(Number.isInteger(id) && id >= 0 && id < this.V)) throw new Error(`Character index ${id} is outside the vocabulary of ${this.V}.`);
    if (this.part) this.readIntoSegment(id);
    else if (this.chars) {
      if (this.hasRead) {
        const slot = this.chars.push();
        slot.h.set(this.stepper.hidden(this.L - 1));
        slot.target = id;
      }
      this.hasRead = true;
    }
    this.advance(id);
  }

  /** Moves the state on by one character without learning from it (a decoder's hypotheses). */
  advance(id: number): void {
    this.freshWeights();
    this.stepper.feed(id);
  }

  /** Runs the queued learning steps, oldest first, until none is left (true) or stop(), asked
   *  before every step, says stop (false: the rest stays queued). */
  adaptPending(stop?: () => boolean): boolean {
    const queue = this.segments ?? this.chars;
    if (!queue) return true;
    while (queue.size > 0) {
      if (stop && stop()) return false;
      if (this.segments) this.segmentStep(this.segments.shift()!);
      else this.charStep(this.chars!.shift()!);
    }
    return true;
  }

  /** A stream's start: zero state. The adapted weights are kept, and what was read of the
   *  segment in progress is queued as a shorter segment. */
  reset(): void {
    if (this.part && this.partLength >= 2) this.queueSegment(this.part, this.partLength - 1);
    this.partLength = 0;
    this.hasRead = false;
    this.stepper.reset();
  }

  /** The trained weights back; what was queued is forgotten (the statistics are kept). */
  restoreTrained(): void {
    if (this.copy) { this.copy.params.set(this.theta0); this.weightsChanged = true; }
    if (this.output) this.output.theta.set(this.theta0);
    this.segments?.clear(); this.chars?.clear();
    this.partLength = 0;
  }

  /** The recurrent state (h then c of every layer, Stepper's layout). */
  saveState(): Float32Array {
    return this.stepper.saveState();
  }

  /** Restores a saveState() result. The segment being read is kept, so a decoder that saves,
   *  advances and loads loses nothing; a caller that moves to other text should reset(). */
  loadState(s: Float32Array): void {
    this.stepper.loadState(s);
  }

  // -------------------------------------------------------------------------------------------

  private freshWeights(): void {
    if (this.weightsChanged) { this.stepper.refresh(); this.weightsChanged = false; }
  }

  /** 'full': id joins the segment being read; a segment with `segment` targets is queued, and
   *  its last character starts the next one (from the state before it is read). */
  private readIntoSegment(id: number): void {
    const part = this.part!;
    if (this.partLength === 0) {
      this.stepper.saveState(part.start);
    } else if (this.partLength === this.segment) {
      part.ids[this.partLength] = id;
      if (this.segmentsRead++ % this.learnEvery === 0) this.queueSegment(part, this.segment);
      this.stepper.saveState(part.start);
      this.partLength = 0;
    }
    part.ids[this.partLength++] = id;
  }

  private queueSegment(part: SegmentSlot, n: number): void {
    const slot = this.segments!.push();
    slot.start.set(part.start);
    slot.ids.set(part.ids.subarray(0, n + 1));
    slot.n = n;
  }

  private segmentStep(s: SegmentSlot): void {
    const copy = this.copy!;
    const loss = this.gradient!.compute(s.ids, s.n, s.start);
    if (this.applyStep(copy.params, copy.grads, s.n, loss)) this.weightsChanged = true;
  }

  private charStep(s: CharSlot): void {
    const out = this.output!, stats = this.stats!, h = this.hyper, top = this.hKernel!;
    top.set(s.h);
    const p = out.probs(top, this.pScratch);
    const c = this.statsFromText || stats.count >= this.warmup ? stats.coefficients(h) : null;
    if (c && Number.isFinite(p[s.target])) {
      // the statistics are settled: the gradient need not be written out
      out.gradientStep(top, p, s.target, this.theta0, c.inv, c.pull, h.lr);
      this.stepsTaken++;
    } else {
      this.applyStep(out.theta, out.grad, 1, out.gradient(top, p, s.target));
    }
  }

  /** One step learned from n characters, unless their loss is not finite (one bad segment
   *  must not poison the weights); returns whether it was taken. */
  private applyStep(theta: Float32Array, g: Float32Array, n: number, loss: number): boolean {
    if (!Number.isFinite(loss)) return false;
    const stats = this.stats!, h = this.hyper;
    if (!this.statsFromText && stats.count < this.warmup) stats.add(g);
    rmsStep(theta, g, this.theta0, stats, { lr: h.lr * n, decay: h.decay * n, eps: h.eps });
    this.stepsTaken++;
    return true;
  }

  /** The gradient statistics over the first maxChars characters of the streams, each stream
   *  read from the zero state with the trained weights, in steps of the kind adaptation takes. */
  private collectStats(streams: Int32Array[], maxChars: number): void {
    const stats = this.stats!;
    let budget = maxChars;
    if (this.copy) {
      const T = this.segment, start = new Float32Array(2 * this.L * this.H), g = this.gradient!;
      for (const ids of streams) {
        start.fill(0);
        for (let a = 0; a + 1 < ids.length && budget > 0; a += T) {
          const n = Math.min(T, ids.length - 1 - a, budget);
          g.compute(ids.subarray(a, a + n + 1), n, start);
          g.endState(start);
          stats.add(this.copy.grads);
          budget -= n;
        }
      }
    } else {
      const out = this.output!, top = this.stepper.hidden(this.L - 1);
      for (const ids of streams) {
        this.stepper.reset();
        for (let i = 0; i < ids.length && budget > 0; i++) {
          if (i > 0) {
            out.gradient(top, out.probs(top, this.pScratch), ids[i]);
            stats.add(out.grad);
            budget--;
          }
          this.stepper.feed(ids[i]);
        }
      }
      this.stepper.reset();
    }
  }
}

function checkOptions(segment: number, h: RmsStepHyper, warmup: number, opts: DynamicEvalOptions): void {
  if (!(Number.isInteger(segment) && segment >= 1 && segment <= 1000)) throw new Error(`The dynamic evaluation segment must be a whole number of characters from 1 to 1000, not ${segment}.`);
  if (!(Number.isFinite(h.lr) && h.lr >= 0)) throw new Error(`The dynamic evaluation learning rate must be a non-negative number, not ${h.lr}.`);
  if (!(Number.isFinite(h.decay) && h.decay >= 0)) throw new Error(`The dynamic evaluation decay must be a non-negative number, not ${h.decay}.`);
  if (!(Number.isFinite(h.eps) && h.eps > 0)) throw new Error(`The dynamic evaluation epsilon must be a positive number, not ${h.eps}.`);
  if (!(Number.isInteger(warmup) && warmup >= 0)) throw new Error(`The dynamic evaluation warm-up must be a whole number of steps, not ${warmup}.`);
  const statsChars = opts.statsChars ?? 20000, maxPending = opts.maxPending ?? 65536;
  if (!(Number.isInteger(statsChars) && statsChars >= 1)) throw new Error(`The characters read for gradient statistics must be a positive whole number, not ${statsChars}.`);
  if (!(Number.isInteger(maxPending) && maxPending >= 1)) throw new Error(`The characters kept for adaptation must be a positive whole number, not ${maxPending}.`);
}
