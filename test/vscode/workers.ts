// The worker threads the extension starts, seen from the tests: while watching, every
// `new Worker(...)` made through node:worker_threads (the extension's bundle reads `.Worker` off
// that module at each call) is recorded, optionally with extra execArgv (a --require preload).
// Test-side only: the product's code is not changed.
import type { Worker, WorkerOptions } from 'node:worker_threads';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const threads = require('node:worker_threads') as { Worker: typeof Worker };

export interface WatchedWorker { file: string; worker: Worker; exited: boolean }

export function watchWorkers(opts: { execArgv?: string[] } = {}): { workers: WatchedWorker[]; restore(): void } {
  const Original = threads.Worker;
  const workers: WatchedWorker[] = [];
  class Watched extends Original {
    constructor(file: string | URL, options?: WorkerOptions) {
      super(file, opts.execArgv ? { ...options, execArgv: [...(options?.execArgv ?? []), ...opts.execArgv] } : options);
      const w: WatchedWorker = { file: String(file), worker: this, exited: false };
      this.once('exit', () => { w.exited = true; });
      workers.push(w);
    }
  }
  threads.Worker = Watched as unknown as typeof Worker;
  return { workers, restore: () => { threads.Worker = Original; } };
}
