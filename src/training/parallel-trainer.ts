// Data-parallel training on several threads: the B streams of a chunk are split into N
// contiguous ranges, each thread runs forward+backward on its range with its own model replica,
// the gradients are summed, and ONE clip + optimizer step is taken on the sum.
//
//   thread 0          this thread, with the caller's model as its replica: streams [0, B₁)
//   threads 1..N−1    worker threads (grad-worker.ts, role 'compute'): streams [B_w, B_{w+1}),
//                     B_w = ⌊w·B/N⌋
//   supervisor        one more, idle worker thread that spawns the compute threads and watches
//                     them: this thread blocks in Atomics.wait during a step and cannot see a
//                     Worker's 'error'/'exit' events then, the supervisor can, and wakes it.
//
// Everything per step goes through shared memory, synchronised with Atomics.wait/notify (a
// postMessage per step would cost a wake-up through the event loop each time):
//   params (P)                this thread copies the model's params in before each step; each
//                             replica copies them into its own (WASM) memory
//   grads (N−1, P)            worker w's gradient at row w−1, summed into the model's grads in
//                             the fixed order w = 1..N−1 (deterministic for a given N)
//   hidden h, c (L, B, H)     the recurrent state of all streams, as Trainer keeps it; each
//                             thread reads and writes the rows of its own streams
//   inputs, targets (T, B)    the chunk, time-major as Trainer builds it
//
// The stream layout, epochs, lr decay, clipping, the optimizer and export/import are Trainer's
// own code: ParallelTrainer wraps a Trainer whose "model" is a ShardedModel, a stand-in for
// CharRNN whose trainChunk spreads the chunk over the threads. The loss and the gradient scale
// (1/count over ALL scored targets) come from Trainer, so the result equals the single-thread
// Trainer's up to float summation order. With dropout, thread w ≥ 1 draws its masks from a
// generator seeded by a number drawn from the Trainer's dropout generator each step, so that
// all randomness is in the state Trainer exports.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { ResourceLimits, Worker } from 'node:worker_threads';
import type { ModelConfig, TrainConfig } from '../engine/config';
import type { Kernels } from '../engine/kernels';
import type { CharRNN, RecurrentState } from '../engine/model';
import type { Rng } from '../engine/rng';
import { StepResult, Trainer, TrainerExport } from '../engine/trainer';
import type { StepTrainer } from './run-loop';

export interface ParallelTrainerOptions {
  /** Compute threads, this one included (default: defaultThreadCount()); at most one per stream. */
  threads?: number;
  /** The worker entry: default dist/grad-worker.js next to this bundle, or the .ts source under tsx. */
  workerScript?: string;
  /** V8 heap limits of each compute thread (their WebAssembly memory is outside these). */
  resourceLimits?: ResourceLimits;
  /** A step fails when the other threads have not finished it after this long (default: 10 min,
   *  or 20× the slowest step so far if longer). Only a last resort: a thread that dies is
   *  reported at once by the supervisor. */
  stepTimeoutMs?: number;
}

/** All cores but one (the editor or the shell keeps one), at least one. */
export function defaultThreadCount(): number {
  return Math.max(1, availableParallelism() - 1);
}

// ---------------------------------------------------------------------------------------------
// The shared-memory protocol (grad-worker.ts reads the same layout)

/** Indices into the control words (Int32Array). */
export const Ctrl = {
  SEQ: 0,       // bumped by thread 0 for each command; workers wait on it
  CMD: 1,       // Command
  DONE: 2,      // workers that finished the current command (+ FAIL_MARK when one failed)
  STATUS: 3,    // 0 while all is well; FAILED once a thread stopped
  T: 4,         // steps in the current chunk
  MSG_LEN: 5,   // bytes of the failure message
  SEEDS: 8,     // SEEDS + w: the dropout seed of thread w for this step (uint32 bits)
} as const;
export const Command = { STEP: 1, EXIT: 2 } as const;
export const FAILED = 1;
export const FAIL_MARK = 1 << 20;
const MESSAGE_BYTES = 2048;

export interface SharedBuffers {
  ctrl: Int32Array;       // Ctrl.SEEDS + N words
  scalars: Float64Array;  // [gradScale, nats of thread 0, ..., nats of thread N−1]
  params: Float32Array;   // (P)
  grads: Float32Array;    // (N−1, P)
  hiddenH: Float32Array;  // (L, B, H)
  hiddenC: Float32Array;  // (L, B, H)
  inputs: Int32Array;     // (T, B)
  targets: Int32Array;    // (T, B)
  message: Uint8Array;    // the failure message, UTF-8
}

/** What a grad worker gets as workerData. */
export interface GradWorkerData {
  role: 'grad-supervisor' | 'grad-compute';
  index: number;                 // the thread's number w (compute); 0 for the supervisor
  threads: number;               // N
  ranges: number[];              // N+1 stream boundaries: thread w owns [ranges[w], ranges[w+1])
  batch: number;                 // B
  seqLength: number;             // T (max)
  config: ModelConfig;
  kernels: string;               // Kernels.name of thread 0's backend: the replicas use the same
  shared: SharedBuffers;
  workerScript: string;
  resourceLimits?: ResourceLimits;
}

export type GradWorkerMessage = { type: 'ready' } | { type: 'failed'; message: string };

/** Records the first failure in shared memory and wakes thread 0. */
export function reportFailure(s: SharedBuffers, message: string): void {
  if (Atomics.compareExchange(s.ctrl, Ctrl.STATUS, 0, FAILED) !== 0) return;   // the first one wins
  const bytes = new TextEncoder().encode(message).subarray(0, MESSAGE_BYTES);
  s.message.set(bytes);
  Atomics.store(s.ctrl, Ctrl.MSG_LEN, bytes.length);
  Atomics.add(s.ctrl, Ctrl.DONE, FAIL_MARK);
  Atomics.notify(s.ctrl, Ctrl.DONE);
}

function readFailure(s: SharedBuffers): string {
  const n = Atomics.load(s.ctrl, Ctrl.MSG_LEN);
  return new TextDecoder().decode(s.message.slice(0, n));   // slice: TextDecoder refuses shared memory
}

export function streamRanges(B: number, N: number): number[] {
  return Array.from({ length: N + 1 }, (_, w) => Math.floor(w * B / N));
}

const failurePrefix = 'A training thread stopped unexpectedly: ';

// ---------------------------------------------------------------------------------------------

export class ParallelTrainer implements StepTrainer {
  /** Compute threads actually used (this one included). */
  readonly threads: number;

  private constructor(private readonly trainer: Trainer, private readonly sharded: ShardedModel) {
    this.threads = sharded.threads;
  }

  static async create(model: CharRNN, cfg: TrainConfig, data: Int32Array,
    opts: ParallelTrainerOptions = {}): Promise<ParallelTrainer> {
    const requested = opts.threads ?? defaultThreadCount();
    if (!(Number.isInteger(requested) && requested >= 1)) throw new Error(`Threads must be a positive integer, not ${requested}.`);
    const sharded = new ShardedModel(model);
    // Trainer sizes the streams (and asks the stand-in for the shared hidden state).
    const trainer = new Trainer(sharded as unknown as CharRNN, cfg, data);
    await sharded.start(Math.min(requested, trainer.batchSize), trainer.seqLength, opts);
    return new ParallelTrainer(trainer, sharded);
  }

  get batchSize(): number { return this.trainer.batchSize; }
  get seqLength(): number { return this.trainer.seqLength; }
  get segmentLength(): number { return this.trainer.segmentLength; }
  get stepsPerEpoch(): number { return this.trainer.stepsPerEpoch; }

  /** One chunk for all streams on all threads, then one clip and optimizer step. Throws
   *  "A training thread stopped unexpectedly: …" when a thread died (and on every later call). */
  step(): StepResult { return this.trainer.step(); }

  /** Trainer's export: the same format, so a run can resume with another thread count. */
  setLearningRate(lr: number): void { this.trainer.setLearningRate(lr); }
  continueFrom(p: { steps: number; charsSeen: number; epochs?: number }): void { this.trainer.continueFrom(p); }
  exportState(): TrainerExport { return this.trainer.exportState(); }
  importState(x: TrainerExport): void { this.trainer.importState(x); }

  /** Stops the worker threads. Safe to call more than once and after a failure. */
  close(): Promise<void> { return this.sharded.close(); }
}

// ---------------------------------------------------------------------------------------------

/** A stand-in for CharRNN, given to Trainer: the same config, kernels, params and grads (the
 *  caller's model's), but trainChunk runs the streams on N threads. Implements exactly what
 *  Trainer uses of a CharRNN. */
class ShardedModel {
  readonly config: ModelConfig;
  readonly kernels: Kernels;
  readonly params: Float32Array;
  readonly grads: Float32Array;
  threads = 1;

  private B = 0;
  private T = 0;
  private ranges: number[] = [0, 0];
  private hidden: RecurrentState | null = null;     // (L, B, H), shared
  private shared: SharedBuffers | null = null;
  // this thread's share, in the model's backend memory
  private ownInputs!: Int32Array;   // (T, B₁)
  private ownTargets!: Int32Array;  // (T, B₁)
  private ownState!: RecurrentState; // (L, B₁, H)
  private supervisor: Worker | null = null;
  private failure: string | null = null;
  private closing = false;
  private supervisorExited = false;
  private stepTimeoutMs: number | undefined;
  private slowestStepMs = 0;

  constructor(private readonly model: CharRNN) {
    this.config = model.config;
    this.kernels = model.kernels;
    this.params = model.params;
    this.grads = model.grads;
  }

  /** Trainer asks for the state of its B streams: it lives in shared memory. */
  newState(B: number): RecurrentState {
    const n = this.config.layers * B * this.config.hidden;
    this.B = B;
    this.hidden = { h: sharedFloats(n), c: sharedFloats(n) };
    return this.hidden;
  }

  async start(N: number, T: number, opts: ParallelTrainerOptions): Promise<void> {
    const { model, B } = this;
    if (!this.hidden) throw new Error('ShardedModel.start before Trainer asked for the state.');
    this.threads = N; this.T = T;
    this.ranges = streamRanges(B, N);
    this.stepTimeoutMs = opts.stepTimeoutMs;
    const B1 = this.ranges[1];
    if (model.maxB < B1 || model.maxT < T) throw new Error(`The model's buffers (${model.maxT}×${model.maxB}) are too small for chunks of ${T}×${B1}.`);
    this.ownInputs = model.kernels.allocInt(T * B1);
    this.ownTargets = model.kernels.allocInt(T * B1);
    this.ownState = model.newState(B1);
    if (N === 1) return;

    const P = model.params.length;
    const s: SharedBuffers = this.shared = {
      ctrl: new Int32Array(new SharedArrayBuffer(4 * (Ctrl.SEEDS + N))),
      scalars: new Float64Array(new SharedArrayBuffer(8 * (1 + N))),
      params: sharedFloats(P),
      grads: sharedFloats((N - 1) * P),
      hiddenH: this.hidden.h, hiddenC: this.hidden.c,
      inputs: new Int32Array(new SharedArrayBuffer(4 * T * B)),
      targets: new Int32Array(new SharedArrayBuffer(4 * T * B)),
      message: new Uint8Array(new SharedArrayBuffer(MESSAGE_BYTES)),
    };
    const workerScript = opts.workerScript ?? defaultWorkerScript();
    const data: GradWorkerData = {
      role: 'grad-supervisor', index: 0, threads: N, ranges: this.ranges, batch: B, seqLength: T,
      config: model.config, kernels: model.kernels.name, shared: s, workerScript, resourceLimits: opts.resourceLimits,
    };
    const sup = this.supervisor = spawnGradWorker(workerScript, data);
    await new Promise<void>((resolve, reject) => {
      const fail = (m: string) => { reject(new Error(`A training thread could not start: ${m}`)); void sup.terminate(); };
      sup.on('message', (m: GradWorkerMessage) => {
        if (m.type === 'ready') resolve();
        else fail(m.message);
      });
      sup.once('error', (e) => fail(e.message));
      sup.once('exit', (code) => fail(`the supervising thread exited with code ${code}`));
    });
    // From now on failures arrive through shared memory; these only catch the supervisor itself.
    sup.removeAllListeners();
    sup.on('message', (m: GradWorkerMessage) => { if (m.type === 'failed') this.failure ??= m.message; });
    sup.on('error', (e) => { this.failure ??= e.message; });
    sup.on('exit', (code) => {
      this.supervisorExited = true;
      if (!this.closing) this.failure ??= `the supervising thread exited with code ${code}`;
    });
    sup.unref();   // a forgotten close() must not keep the process alive
  }

  /** Trainer's call: inputs, targets (T, B) and state (the shared hidden) for all streams. */
  trainChunk(inputs: Int32Array, targets: Int32Array, T: number, B: number, state: RecurrentState,
    dropoutRng: Rng | null, gradScale: number): number {
    const { model, shared: s, threads: N } = this;
    if (B !== this.B || T > this.T || state !== this.hidden) throw new Error('ShardedModel.trainChunk got a chunk it was not set up for.');
    if (this.failure !== null) throw new Error(failurePrefix + this.failure);
    if (s && Atomics.load(s.ctrl, Ctrl.STATUS) === FAILED) throw new Error(failurePrefix + readFailure(s));
    const drop = this.config.dropout > 0 ? dropoutRng : null;

    // hand the chunk to the workers first, so they start while this thread copies its share
    const start = Date.now();
    if (s) {
      s.inputs.set(inputs.subarray(0, T * B));
      s.targets.set(targets.subarray(0, T * B));
      s.params.set(model.params);
      s.scalars[0] = gradScale;
      s.ctrl[Ctrl.T] = T;
      for (let w = 1; w < N; w++) s.ctrl[Ctrl.SEEDS + w] = drop ? drop.nextUint32() | 0 : 0;
      s.ctrl[Ctrl.CMD] = Command.STEP;
      Atomics.store(s.ctrl, Ctrl.DONE, 0);
      Atomics.add(s.ctrl, Ctrl.SEQ, 1);
      Atomics.notify(s.ctrl, Ctrl.SEQ);
    }

    let nats: number;
    try {
      nats = this.ownShare(inputs, targets, T, drop, gradScale);
    } finally {
      if (s) this.waitForWorkers(s, start);   // also when ownShare threw: no worker may still be in this step
    }
    if (!s) return nats;

    // grads (P) += Σ_w grads_w, in the order w = 1..N−1
    const g = model.grads, P = g.length;
    if (N === 2) {
      const g1 = s.grads.subarray(0, P);
      for (let i = 0; i < P; i++) g[i] += g1[i];
    } else {
      for (let i = 0; i < P; i++) {
        let sum = g[i];
        for (let w = 1; w < N; w++) sum += s.grads[(w - 1) * P + i];
        g[i] = sum;
      }
    }
    for (let w = 1; w < N; w++) nats += s.scalars[1 + w];
    return nats;
  }

  /** Forward+backward of streams [0, B₁) on this thread, into the model's grads. */
  private ownShare(inputs: Int32Array, targets: Int32Array, T: number, drop: Rng | null, gradScale: number): number {
    const { B, model } = this, B1 = this.ranges[1], hidden = this.hidden!;
    const ins = this.ownInputs, tgs = this.ownTargets, st = this.ownState;
    if (B1 === B) {
      ins.set(inputs.subarray(0, T * B)); tgs.set(targets.subarray(0, T * B));
    } else {
      for (let t = 0; t < T; t++) {
        ins.set(inputs.subarray(t * B, t * B + B1), t * B1);
        tgs.set(targets.subarray(t * B, t * B + B1), t * B1);
      }
    }
    copyStreams(st, hidden, this.config, B, 0, B1, 'in');
    const nats = model.trainChunk(ins, tgs, T, B1, st, drop, gradScale);
    copyStreams(st, hidden, this.config, B, 0, B1, 'out');
    return nats;
  }

  /** Blocks until threads 1..N−1 finished the step issued at `start` (ms), or one failed. */
  private waitForWorkers(s: SharedBuffers, start: number): void {
    const want = this.threads - 1;
    const timeoutMs = this.stepTimeoutMs ?? Math.max(600_000, 20 * this.slowestStepMs), deadline = start + timeoutMs;
    for (;;) {
      const done = Atomics.load(s.ctrl, Ctrl.DONE);
      if (Atomics.load(s.ctrl, Ctrl.STATUS) === FAILED) throw new Error(failurePrefix + readFailure(s));
      if (done === want) {
        this.slowestStepMs = Math.max(this.slowestStepMs, Date.now() - start);
        return;
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        const message = `the other threads did not finish a step within ${Math.round(timeoutMs / 1000)} s.`;
        reportFailure(s, message);
        throw new Error(failurePrefix + message);
      }
      Atomics.wait(s.ctrl, Ctrl.DONE, done, Math.min(left, 1000));
    }
  }

  async close(): Promise<void> {
    const sup = this.supervisor;
    if (!sup || this.closing || this.supervisorExited) return;
    this.closing = true;
    const s = this.shared!;
    sup.ref();   // keep the process alive until the threads are gone
    Atomics.store(s.ctrl, Ctrl.CMD, Command.EXIT);
    Atomics.add(s.ctrl, Ctrl.SEQ, 1);
    Atomics.notify(s.ctrl, Ctrl.SEQ);
    // The workers leave their loops and the supervisor ends with them; terminate if they don't.
    let timer: NodeJS.Timeout | undefined;
    const exited = new Promise<'exited'>((resolve) => sup.once('exit', () => resolve('exited')));
    const late = new Promise<'late'>((resolve) => { timer = setTimeout(() => resolve('late'), 5000); });
    const how = await Promise.race([exited, late]);
    clearTimeout(timer);
    if (how === 'late') await sup.terminate();
  }
}

/** Copies streams [b0, b1) of the full (L, B, H) state into or out of a (L, b1−b0, H) one. */
export function copyStreams(own: RecurrentState, full: RecurrentState, config: ModelConfig, B: number,
  b0: number, b1: number, direction: 'in' | 'out'): void {
  const H = config.hidden, Bw = b1 - b0, lstm = config.cell === 'lstm';
  for (let k = 0; k < config.layers; k++) {
    const from = (k * B + b0) * H, to = (k * B + b1) * H, at = k * Bw * H;
    if (direction === 'in') {
      own.h.set(full.h.subarray(from, to), at);
      if (lstm) own.c.set(full.c.subarray(from, to), at);
    } else {
      full.h.set(own.h.subarray(at, at + Bw * H), from);
      if (lstm) full.c.set(own.c.subarray(at, at + Bw * H), from);
    }
  }
}

function sharedFloats(n: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(4 * n));
}

/** dist/grad-worker.js next to this bundle; from the sources (tsx), src/training/grad-worker.ts. */
function defaultWorkerScript(): string {
  const bundled = join(__dirname, 'grad-worker.js');
  if (existsSync(bundled)) return bundled;
  const source = join(__dirname, 'grad-worker.ts');
  if (existsSync(source)) return source;
  throw new Error(`The training thread script is missing: ${bundled} was not built.`);
}

/** A worker on a script; a .ts script (running from the sources) is loaded through tsx's
 *  require hook, as `--import tsx` in execArgv does not reach a worker's entry on Node 20. */
export function spawnGradWorker(script: string, data: GradWorkerData, resourceLimits?: ResourceLimits): Worker {
  if (!script.endsWith('.ts')) return new Worker(script, { workerData: data, resourceLimits });
  const tsx = createRequire(__filename).resolve('tsx/cjs');   // (not require.resolve: the bundler would chase it)
  return new Worker(`require(${JSON.stringify(tsx)}); require(${JSON.stringify(script)});`,
    { eval: true, workerData: data, resourceLimits });
}
