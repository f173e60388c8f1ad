// The gradient worker (dist/grad-worker.js): the other threads of ParallelTrainer
// (parallel-trainer.ts has the protocol and the shared-memory layout).
//
//   role 'grad-supervisor'  spawns the compute threads 1..N−1, reports 'ready' when all have
//                           built their replica, and watches them: a thread that throws, exits or
//                           runs out of memory is written into shared memory at once, which wakes
//                           thread 0 out of its Atomics.wait. It computes nothing, so its event
//                           loop is free to see the 'error' and 'exit' events.
//   role 'grad-compute'     thread w: a model replica that waits for a command, then takes
//                           sub-batches from the shared counter until none is left, running
//                           forward+backward on each with the shared params and writing its
//                           gradient, loss and state back; then checks in.
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { CharRNN } from '../engine/model';
import type { Kernels } from '../engine/kernels';
import { createRefKernels } from '../engine/kernels-ref';
import { loadWasmKernelsSync, WasmVariant } from '../runtime/wasm-kernels';
import {
  Chunk, Command, Ctrl, GradWorkerData, GradWorkerMessage, reportFailure, spawnGradWorker, SubBatchRunner, takeSubBatches,
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
  const s = d.shared, w = d.index, K = d.units.length - 1;
  let runner: SubBatchRunner;
  try {
    const widest = Math.max(...d.units.slice(1).map((b1, u) => b1 - d.units[u]));
    runner = new SubBatchRunner(new CharRNN(d.config, kernelsNamed(d.kernels), widest, d.seqLength), d.units, d.batch, d.seqLength);
  } catch (e) {
    post({ type: 'failed', message: (e as Error).message });
    return;
  }
  const chunk: Chunk = { inputs: s.inputs, targets: s.targets, hidden: { h: s.hiddenH, c: s.hiddenC }, T: 0 };
  const params = runner.model.params;
  // The first command bumps SEQ from 0; it may come before this thread reaches its wait.
  let seen = 0;
  post({ type: 'ready' });
  parentPort!.unref();   // nothing comes by message: the thread ends when the loop does

  for (;;) {
    Atomics.wait(s.ctrl, Ctrl.SEQ, seen);
    seen = Atomics.load(s.ctrl, Ctrl.SEQ);
    if (Atomics.load(s.ctrl, Ctrl.CMD) === Command.EXIT) return;
    // a thread outside the active ones sits the step out (the user is typing: a core is theirs)
    if (w < s.ctrl[Ctrl.ACTIVE]) {
      chunk.T = s.ctrl[Ctrl.T];
      takeSubBatches(s, runner, chunk, seen, K, () => params.set(s.params));
    }
    Atomics.add(s.ctrl, Ctrl.CHECKED_IN, 1);
    Atomics.notify(s.ctrl, Ctrl.CHECKED_IN);
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
