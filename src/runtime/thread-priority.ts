// Background work that yields to the editor: a worker lowers its own thread's scheduling
// priority, so that the extension host (and whatever else the user runs) gets a core first when
// the machine is busy. On Linux, setpriority() on a thread's own id moves that thread alone, and
// threads it starts later inherit its priority (the training worker's gradient threads). Other
// systems have no per-thread form (setpriority there moves the whole process, the editor
// included): nothing is changed.
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { basename } from 'node:path';

/** Lowers the calling thread's priority to `nice` (Linux); false when it could not. */
export function lowerThisThreadPriority(nice: number): boolean {
  if (process.platform !== 'linux') return false;
  try {
    const tid = Number(basename(readlinkSync('/proc/thread-self')));   // "<pid>/task/<tid>"
    if (!Number.isInteger(tid) || tid <= 0) return false;
    setPriority(tid, nice);
    return true;
  } catch {
    return false;   // no /proc, or not allowed: the run goes on at the priority it has
  }
}
