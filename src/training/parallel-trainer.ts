// Data-parallel training on several threads: the B streams of a chunk are cut into K sub-batches
// (contiguous stream ranges, K fixed by B and the thread count, never by timing), the threads
// take sub-batches one at a time from a shared counter until none is left (work stealing: a
// thread that another process slows down simply takes fewer), run forward+backward on each with
// their own model replica, and ONE clip + optimizer step is taken on the sum.
//
//   thread 0          this thread, with the caller's model as its replica
//   threads 1..N−1    worker threads (grad-worker.ts, role 'compute')
//   supervisor        one more, idle worker thread that spawns the compute threads and watches
//                     them: this thread blocks in Atomics.wait during a step and cannot see a
//                     Worker's 'error'/'exit' events then, the supervisor can, and wakes it.
//
// Determinism: sub-batch u's gradient lands in its own row u of a shared (K, P) buffer, whoever
// computed it, and thread 0 sums the rows in the order u = 0..K−1 (as each is done, so that the
// sum overlaps the others' work). A run's result thus depends on B and K only: not on which
// thread took which sub-batch, nor on how many threads were active in a step (setActiveThreads:
// the editor gives a core back while the user types), nor on the thread count N as long as K is
// the same (K = min(B, max(8, 2N)): the same for N = 2..4).
//
// Everything per step goes through shared memory, synchronised with Atomics.wait/notify (a
// postMessage per step would cost a wake-up through the event loop each time):
//   params (P)                this thread copies the model's params in before each step; each
//                             replica copies them into its own (WASM) memory at its first take
//   grads (K, P)              sub-batch u's gradient at row u
//   hidden h, c (L, B, H)     the recurrent state of all streams, as Trainer keeps it; each
//                             sub-batch reads and writes the rows of its own streams
//   inputs, targets (T, B)    the chunk, time-major as Trainer builds it
// A step ends when every sub-batch is done AND every worker has checked in (found the counter
// empty, or sat the step out), so that no worker is still inside a step when the next begins.
//
// The stream layout, epochs, lr decay, clipping, the optimizer and export/import are Trainer's
// own code: ParallelTrainer wraps a Trainer whose "model" is a ShardedModel, a stand-in for
// CharRNN whose trainChunk spreads the chunk over the threads. The loss and the gradient scale
// (1/count over ALL scored targets) come from Trainer, so the result equals the single-thread
// Trainer's up to float summation order. With dropout, sub-batch u draws its masks from a
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
import { Rng } from '../engine/rng';
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
  SEQ: 0,        // bumped by thread 0 for each command; workers wait on it
  CMD: 1,        // Command
  CHECKED_IN: 2, // workers done with the current step (+ FAIL_MARK when one failed)
  STATUS: 3,     // 0 while all is well; FAILED once a thread stopped
  T: 4,          // steps in the current chunk
  MSG_LEN: 5,    // bytes of the failure message
  NEXT: 6,       // the next sub-batch to take (Atomics.add); ≥ K: none left
  ACTIVE: 7,     // threads that take sub-batches this step (0..ACTIVE−1); the others only check in
  UNIT_DONE: 8,  // UNIT_DONE + u: the SEQ of the step whose sub-batch u is done
  // SEEDS + u = UNIT_DONE + K + u: the dropout seed of sub-batch u for this step (uint32 bits)
} as const;
export const Command = { STEP: 1, EXIT: 2 } as const;
export const FAILED = 1;
export const FAIL_MARK = 1 << 20;
const MESSAGE_BYTES = 2048;

export interface SharedBuffers {
  ctrl: Int32Array;       // Ctrl.UNIT_DONE + 2K words
  scalars: Float64Array;  // [gradScale, nats of sub-batch 0, ..., nats of sub-batch K−1]
  params: Float32Array;   // (P)
  grads: Float32Array;    // (K, P)
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
  units: number[];               // K+1 stream boundaries: sub-batch u is [units[u], units[u+1])
  batch: number;                 // B
  seqLength: number;             // T (max)
  config: ModelConfig;
  kernels: string;               // Kernels.name of thread 0's backend: the replicas use the same
  shared: SharedBuffers;
  workerScript: string;
  resourceLimits?: ResourceLimits;
}

export type GradWorkerMessage = { type: 'ready' } | { type: 'failed'; message: string };

/** Records the first failure in shared memory and wakes thread 0 (whatever it waits on). */
export function reportFailure(s: SharedBuffers, message: string): void {
  if (Atomics.compareExchange(s.ctrl, Ctrl.STATUS, 0, FAILED) !== 0) return;   // the first one wins
  const bytes = new TextEncoder().encode(message).subarray(0, MESSAGE_BYTES);
  s.message.set(bytes);
  Atomics.store(s.ctrl, Ctrl.MSG_LEN, bytes.length);
  Atomics.add(s.ctrl, Ctrl.CHECKED_IN, FAIL_MARK);
  for (let i = 0; i < s.ctrl.length; i++) Atomics.notify(s.ctrl, i);
}

function readFailure(s: SharedBuffers): string {
  const n = Atomics.load(s.ctrl, Ctrl.MSG_LEN);
  return new TextDecoder().decode(s.message.slice(0, n));   // slice: TextDecoder refuses shared memory
}

/** N+1 boundaries of N contiguous, nearly equal ranges of B streams. */
export function streamRanges(B: number, N: number): number[] {
  return Array.from({ length: N + 1 }, (_, w) => Math.floor(w * B / N));
}

/** How many sub-batches N threads share B streams in: enough that a slowed thread's share can
 *  move to the others in small pieces (a sub-batch of 4 streams trains as fast per character
 *  as one of 32 on the WASM kernels), and the same for N = 2..4 so their results agree. */
export function subBatchCount(B: number, N: number): number {
  return Math.min(B, Math.max(8, 2 * N));
}

/** Where sub-batch u's dropout seed is among the control words. */
export function unitSeedIndex(K: number, u: number): number {
  return Ctrl.UNIT_DONE + K + u;
}

const failurePrefix = 'A training thread stopped unexpectedly: ';

// ---------------------------------------------------------------------------------------------

export class ParallelTrainer implements StepTrainer {
  /** Compute threads started (this one included). */
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

  /** Threads that take part in the next steps (1..threads): the others wait, using no CPU. */
  get activeThreads(): number { return this.sharded.active; }
  /** Lets n threads (clamped to 1..threads) share the next steps; the result does not change. */
  setActiveThreads(n: number): void { this.sharded.active = Math.max(1, Math.min(this.threads, Math.floor(n))); }

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
  /** Threads taking sub-batches in the next step (thread 0 always does). */
  active = 1;

  private B = 0;
  private T = 0;
  private units: number[] = [0, 0];
  private hidden: RecurrentState | null = null;     // (L, B, H), shared
  private shared: SharedBuffers | null = null;
  private own!: SubBatchRunner;                     // this thread's sub-batches, on the caller's model
  private sum!: Float32Array;                       // (P) the rows' sum, while the model's grads are scratch
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
    this.threads = this.active = N; this.T = T;
    const K = N === 1 ? 1 : subBatchCount(B, N);
    this.units = streamRanges(B, K);
    this.stepTimeoutMs = opts.stepTimeoutMs;
    const widest = maxUnitStreams(this.units);
    if (model.maxB < widest || model.maxT < T) throw new Error(`The model's buffers (${model.maxT}×${model.maxB}) are too small for chunks of ${T}×${widest}.`);
    this.own = new SubBatchRunner(model, this.units, B, T);
    if (N === 1) return;

    const P = model.params.length;
    this.sum = new Float32Array(P);
    const s: SharedBuffers = this.shared = {
      ctrl: new Int32Array(new SharedArrayBuffer(4 * (Ctrl.UNIT_DONE + 2 * K))),
      scalars: new Float64Array(new SharedArrayBuffer(8 * (1 + K))),
      params: sharedFloats(P),
      grads: sharedFloats(K * P),
      hiddenH: this.hidden.h, hiddenC: this.hidden.c,
      inputs: new Int32Array(new SharedArrayBuffer(4 * T * B)),
      targets: new Int32Array(new SharedArrayBuffer(4 * T * B)),
      message: new Uint8Array(new SharedArrayBuffer(MESSAGE_BYTES)),
    };
    const workerScript = opts.workerScript ?? defaultWorkerScript();
    const data: GradWorkerData = {
      role: 'grad-supervisor', index: 0, threads: N, units: this.units, batch: B, seqLength: T,
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
    const { model, shared: s } = this;
    if (B !== this.B || T > this.T || state !== this.hidden) throw new Error('ShardedModel.trainChunk got a chunk it was not set up for.');
    if (this.failure !== null) throw new Error(failurePrefix + this.failure);
    const drop = this.config.dropout > 0 ? dropoutRng : null;
    const chunk: Chunk = { inputs, targets, hidden: state, T };
    // one thread: the whole batch as one sub-batch, its gradient left in the model's grads
    if (!s) return this.own.run(chunk, 0, drop, gradScale);
    if (Atomics.load(s.ctrl, Ctrl.STATUS) === FAILED) throw new Error(failurePrefix + readFailure(s));

    // hand the chunk to the workers first, so they start while this thread takes its first sub-batch
    const K = this.units.length - 1, start = Date.now();
    s.inputs.set(inputs.subarray(0, T * B));
    s.targets.set(targets.subarray(0, T * B));
    s.params.set(model.params);
    s.scalars[0] = gradScale;
    s.ctrl[Ctrl.T] = T;
    for (let u = 0; u < K; u++) s.ctrl[unitSeedIndex(K, u)] = drop ? drop.nextUint32() | 0 : 0;
    s.ctrl[Ctrl.ACTIVE] = this.active;
    s.ctrl[Ctrl.CMD] = Command.STEP;
    Atomics.store(s.ctrl, Ctrl.NEXT, 0);
    Atomics.store(s.ctrl, Ctrl.CHECKED_IN, 0);
    const seq = Atomics.add(s.ctrl, Ctrl.SEQ, 1) + 1;
    Atomics.notify(s.ctrl, Ctrl.SEQ);

    const shared: Chunk = { inputs: s.inputs, targets: s.targets, hidden: state, T };
    // sum (P) = Σ_u grads_u in the order u = 0..K−1, each row as soon as it and those before it
    // are done: between this thread's own sub-batches, then waiting for the rest
    const sum = this.sum, P = sum.length;
    sum.fill(0);
    let summed = 0, nats = 0;
    const addRow = (u: number) => {
      const row = s.grads.subarray(u * P, (u + 1) * P);
      for (let i = 0; i < P; i++) sum[i] += row[i];
      nats += s.scalars[1 + u];
    };
    try {
      takeSubBatches(s, this.own, shared, seq, K, () => {}, () => {
        while (summed < K && Atomics.load(s.ctrl, Ctrl.UNIT_DONE + summed) === seq) addRow(summed++);
      });
      for (; summed < K; summed++) {
        this.waitUntil(s, Ctrl.UNIT_DONE + summed, (v) => v === seq, start);
        addRow(summed);
      }
      model.grads.set(sum);
      return nats;
    } finally {
      // also when this thread's share threw: no worker may still be in this step
      this.waitUntil(s, Ctrl.CHECKED_IN, (v) => v === this.threads - 1, start);
      this.slowestStepMs = Math.max(this.slowestStepMs, Date.now() - start);
    }
  }

  /** Blocks until ctrl[index] satisfies `ok`, or a thread failed, or the step issued at `start`
   *  (ms) ran out of time. */
  private waitUntil(s: SharedBuffers, index: number, ok: (v: number) => boolean, start: number): void {
    const timeoutMs = this.stepTimeoutMs ?? Math.max(600_000, 20 * this.slowestStepMs), deadline = start + timeoutMs;
    for (;;) {
      const v = Atomics.load(s.ctrl, index);
      if (Atomics.load(s.ctrl, Ctrl.STATUS) === FAILED) throw new Error(failurePrefix + readFailure(s));
      if (ok(v)) return;
      const left = deadline - Date.now();
      if (left <= 0) {
        const message = `the other threads did not finish a step within ${Math.round(timeoutMs / 1000)} s.`;
        reportFailure(s, message);
        throw new Error(failurePrefix + message);
      }
      Atomics.wait(s.ctrl, index, v, Math.min(left, 1000));
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

// ---------------------------------------------------------------------------------------------
// One sub-batch on one thread: what thread 0 and every worker run alike.

/** A chunk of all B streams: inputs, targets (T, B) and their state (L, B, H). */
export interface Chunk { inputs: Int32Array; targets: Int32Array; hidden: RecurrentState; T: number }

/** Runs sub-batches of a chunk on one model (the caller's, or a worker's replica). */
export class SubBatchRunner {
  private readonly inputs: Int32Array;    // (T, Bu), in the model's backend memory
  private readonly targets: Int32Array;   // (T, Bu)
  private readonly state: RecurrentState; // (L, Bu, H)

  constructor(readonly model: CharRNN, private readonly units: number[], private readonly B: number, T: number) {
    const widest = maxUnitStreams(units);
    this.inputs = model.kernels.allocInt(T * widest);
    this.targets = model.kernels.allocInt(T * widest);
    this.state = model.newState(widest);
  }

  /** Forward+backward of sub-batch u into the model's grads (zeroed first); returns its nats. */
  run(c: Chunk, u: number, drop: Rng | null, gradScale: number): number {
    const { B, model } = this, b0 = this.units[u], b1 = this.units[u + 1], Bu = b1 - b0, T = c.T;
    const ins = this.inputs, tgs = this.targets;
    // this sub-batch's columns of the (T, B) chunk -> (T, Bu)
    for (let t = 0; t < T; t++) {
      ins.set(c.inputs.subarray(t * B + b0, t * B + b1), t * Bu);
      tgs.set(c.targets.subarray(t * B + b0, t * B + b1), t * Bu);
    }
    copyStreams(this.state, c.hidden, model.config, B, b0, b1, 'in');
    model.grads.fill(0);
    const nats = model.trainChunk(ins, tgs, T, Bu, this.state, drop, gradScale);
    copyStreams(this.state, c.hidden, model.config, B, b0, b1, 'out');
    return nats;
  }
}

/** Takes sub-batches of step `seq` from the shared counter until none is left: each one's
 *  gradient to its row of the shared grads, its nats to its scalar, then marked done.
 *  `beforeFirst` runs once, before the first one taken (a replica copies the params then);
 *  `afterEach` after each one (thread 0 sums the rows done so far). */
export function takeSubBatches(s: SharedBuffers, runner: SubBatchRunner, c: Chunk, seq: number, K: number,
  beforeFirst: () => void, afterEach: () => void = () => {}): void {
  const P = runner.model.params.length, dropout = runner.model.config.dropout > 0;
  let first = true;
  for (;;) {
    const u = Atomics.add(s.ctrl, Ctrl.NEXT, 1);
    if (u >= K) return;
    if (first) { beforeFirst(); first = false; }
    const drop = dropout ? new Rng(s.ctrl[unitSeedIndex(K, u)] >>> 0) : null;
    s.scalars[1 + u] = runner.run(c, u, drop, s.scalars[0]);
    s.grads.set(runner.model.grads, u * P);
    Atomics.store(s.ctrl, Ctrl.UNIT_DONE + u, seq);
    Atomics.notify(s.ctrl, Ctrl.UNIT_DONE + u);
    afterEach();
  }
}

function maxUnitStreams(units: number[]): number {
  let m = 0;
  for (let u = 0; u + 1 < units.length; u++) m = Math.max(m, units[u + 1] - units[u]);
  return m;
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
