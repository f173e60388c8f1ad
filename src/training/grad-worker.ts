// The gradient worker (dist/grad-worker.js): the other threads of ParallelTrainer
// (parallel-trainer.ts has the protocol and the shared-memory layout).
//
//   role 'grad-supervisor'  spawns the compute threads 1..N−1, reports 'ready' when all have
//                           built their replica, and watches them: a thread that throws, exits or
//                           runs out of memory is written into shared memory at once, which wakes
//                           thread 0 out of its Atomics.wait. It computes nothing, so its event
//                           loop is free to see the 'error' and 'exit' events.
//   role 'grad-compute'     thread w: a model replica for streams [ranges[w], ranges[w+1]) that
//                           waits for a command, runs forward+backward on its streams with the
//                           shared params and writes its gradient, loss and state back.
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { CharRNN } from '../engine/model';
import type { Kernels } from '../engine/kernels';
import { createRefKernels } from '../engine/kernels-ref';
import { loadWasmKernelsSync, WasmVariant } from '../runtime/wasm-kernels';
import { Rng } from '../engine/rng';
import {
  Command, copyStreams, Ctrl, GradWorkerData, GradWorkerMessage, reportFailure, spawnGradWorker,
} from './parallel-trainer';

function post(m: GradWorkerMessage): void {
  parentPort!.postMessage(m);
}

// ---------------------------------------------------------------------------------------------

function supervise(d: GradWorkerData): void {
  const s = d.shared;
  let ready = 0, failed = false;
  const fail = (message: string) => {
    if (failed) return;
    failed = true;
    if (ready < d.threads - 1) post({ type: 'failed', message });
    reportFailure(s, message);
  };
  for (let w = 1; w < d.threads; w++) {
    const child = spawnGradWorker(d.workerScript, { ...d, role: 'grad-compute', index: w }, d.resourceLimits);
    child.on('message', (m: GradWorkerMessage) => {
      if (m.type === 'failed') fail(m.message);
      else if (++ready === d.threads - 1) post({ type: 'ready' });
    });
    child.on('error', (e) => fail(e.message));
    child.on('exit', (code) => {
      // exiting is only expected after the EXIT command
      if (Atomics.load(s.ctrl, Ctrl.CMD) !== Command.EXIT) fail(`thread ${w} exited with code ${code}.`);
    });
  }
}

// ---------------------------------------------------------------------------------------------

function compute(d: GradWorkerData): void {
  const s = d.shared, w = d.index, B = d.batch, b0 = d.ranges[w], b1 = d.ranges[w + 1], Bw = b1 - b0;
  let model: CharRNN;
  try {
    model = new CharRNN(d.config, kernelsNamed(d.kernels), Bw, d.seqLength);
  } catch (e) {
    post({ type: 'failed', message: (e as Error).message });
    return;
  }
  const K = model.kernels, P = model.params.length;
  const inputs = K.allocInt(d.seqLength * Bw), targets = K.allocInt(d.seqLength * Bw);
  const state = model.newState(Bw);
  const full = { h: s.hiddenH, c: s.hiddenC };
  const myGrads = s.grads.subarray((w - 1) * P, w * P);
  // The first command bumps SEQ from 0; it may come before this thread reaches its wait.
  let seen = 0;
  post({ type: 'ready' });
  parentPort!.unref();   // nothing comes by message: the thread ends when the loop does

  for (;;) {
    Atomics.wait(s.ctrl, Ctrl.SEQ, seen);
    seen = Atomics.load(s.ctrl, Ctrl.SEQ);
    if (Atomics.load(s.ctrl, Ctrl.CMD) === Command.EXIT) return;

    // this thread's columns of the (T, B) chunk -> (T, Bw)
    const T = s.ctrl[Ctrl.T];
    for (let t = 0; t < T; t++) {
      inputs.set(s.inputs.subarray(t * B + b0, t * B + b1), t * Bw);
      targets.set(s.targets.subarray(t * B + b0, t * B + b1), t * Bw);
    }
    model.params.set(s.params);
    copyStreams(state, full, d.config, B, b0, b1, 'in');
    model.grads.fill(0);
    const drop = d.config.dropout > 0 ? new Rng(s.ctrl[Ctrl.SEEDS + w] >>> 0) : null;
    s.scalars[1 + w] = model.trainChunk(inputs, targets, T, Bw, state, drop, s.scalars[0]);
    myGrads.set(model.grads);
    copyStreams(state, full, d.config, B, b0, b1, 'out');

    Atomics.add(s.ctrl, Ctrl.DONE, 1);
    Atomics.notify(s.ctrl, Ctrl.DONE);
  }
}

/** The same backend as thread 0's, so that every replica computes alike. */
function kernelsNamed(name: string): Kernels {
  if (name === 'ref') return createRefKernels();
  const m = /^wasm-(relaxed|simd|scalar)$/.exec(name);
  if (m) return loadWasmKernelsSync({ variant: m[1] as WasmVariant });
  throw new Error(`A training thread cannot run the "${name}" kernels.`);
}

// Started as a worker of ParallelTrainer.
const data = workerData as GradWorkerData | undefined;
if (!isMainThread && (data?.role === 'grad-supervisor' || data?.role === 'grad-compute')) {
  if (data.role === 'grad-supervisor') supervise(data);
  else compute(data);
}
