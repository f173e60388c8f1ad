// Read one listed file, refusing anything that is not a stable regular file: files can vanish,
// change, or turn out to be a FIFO between listing and reading, and a FIFO opened for reading
// would block forever. So: stat, open non-blocking, check the open file is the one we stat'ed,
// read, and compare size, mtime and identity afterwards.
import * as fs from 'node:fs';
import { SkipReason } from './skips';

export type ReadResult = { ok: true; bytes: Buffer } | { ok: false; reason: SkipReason };

export interface ReadLimits {
  maxFileBytes: number;
  /** bytes left under maxTotalBytes */
  remainingBytes: number;
}

export async function readFileStable(absPath: string, limits: ReadLimits): Promise<ReadResult> {
  let before: fs.Stats;
  try {
    before = await fs.promises.stat(absPath);
  } catch (e) {
    return { ok: false, reason: reasonForError(e) };
  }
  if (!before.isFile()) return { ok: false, reason: 'notRegular' };
  if (before.size > limits.maxFileBytes) return { ok: false, reason: 'huge' };
  if (before.size > limits.remainingBytes) return { ok: false, reason: 'overBudget' };

  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(absPath, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  } catch (e) {
    return { ok: false, reason: reasonForError(e) };
  }
  try {
    const opened = await handle.stat();
    if (!opened.isFile()) return { ok: false, reason: 'notRegular' };
    if (!sameFile(before, opened)) return { ok: false, reason: 'changed' };

    // Read one byte past the expected size so that growth shows up as a longer read.
    const buf = Buffer.allocUnsafe(before.size + 1);
    let got = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buf, got, buf.length - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
      if (got === buf.length) break;
    }

    const afterOpen = await handle.stat();
    let afterPath: fs.Stats;
    try {
      afterPath = await fs.promises.stat(absPath);
    } catch (e) {
      return { ok: false, reason: reasonForError(e) };
    }
    if (got !== before.size || !sameFile(before, afterOpen) || !sameFile(before, afterPath)) {
      return { ok: false, reason: 'changed' };
    }
    return { ok: true, bytes: buf.subarray(0, got) };
  } catch (e) {
    return { ok: false, reason: reasonForError(e) };
  } finally {
    await handle.close().catch(() => undefined);
  }
}

function sameFile(a: fs.Stats, b: fs.Stats): boolean {
  return a.ino === b.ino && a.dev === b.dev && a.size === b.size && a.mtimeMs === b.mtimeMs;
}

export function reasonForError(e: unknown): SkipReason {
  switch ((e as NodeJS.ErrnoException).code) {
    case 'ENOENT': case 'ENOTDIR': return 'vanished';
    case 'ELOOP': return 'symlinkLoop';
    case 'ENXIO': return 'notRegular'; // open() of a socket
    default: return 'unreadable';      // EACCES, EPERM, EIO, ...
  }
}
