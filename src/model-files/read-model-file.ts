// Reading a model's file without trusting what the path is. open() of a FIFO blocks until a
// writer comes (forever, for a user who named one by mistake), and a link to /dev/zero or a sparse
// file reads until memory runs out. So: stat the path (following links) and refuse anything but a
// regular file of at most maxBytes; open it non-blocking, check the open file is the one stat'ed;
// read no more than its size.
import * as fs from 'node:fs';
import { formatBytes } from './limits';
import { tempFileTarget } from './paths';

export interface FileLimit {
  /** what the file should be, for sentences: "checkpoint", "optimizer state", "n-gram counts" */
  what: string;
  maxBytes: number;
  /** why maxBytes, to follow it in the sentence: " that the largest model LSTM Lens builds needs" */
  because: string;
}

/** The open file, checked: a regular file within the limit. The caller closes fd. */
export interface OpenedFile { fd: number; size: number }

export function openModelFile(path: string, limit: FileLimit): OpenedFile {
  const st = statOrExplain(path, limit.what);
  refuseUnlessRegular(path, st, limit);
  let fd: number;
  try {
    fd = fs.openSync(path, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  } catch (e) {
    throw explainReadError(path, limit.what, e);
  }
  const opened = fs.fstatSync(fd);
  if (!opened.isFile() || opened.ino !== st.ino || opened.dev !== st.dev || opened.size > limit.maxBytes) {
    fs.closeSync(fd);
    throw new Error(`The ${limit.what} ${path} changed while it was being opened; try again.`);
  }
  return { fd, size: opened.size };
}

/** Bytes [from, from + length) of an open file; fewer than asked means the file shrank meanwhile. */
export function readAt(path: string, f: OpenedFile, from: number, length: number, what: string): Buffer {
  const buf = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const n = fs.readSync(f.fd, buf, got, length - got, from + got);
    if (n === 0) throw new Error(`The ${what} ${path} changed while it was being read; try again.`);
    got += n;
  }
  return buf;
}

/** The whole file, read as openModelFile checks it. */
export function readModelFile(path: string, limit: FileLimit): Buffer {
  const f = openModelFile(path, limit);
  try {
    return readAt(path, f, 0, f.size, limit.what);
  } finally {
    fs.closeSync(f.fd);
  }
}

/** The same for the extension host's thread, which must not block on a large file. */
export async function readModelFileAsync(path: string, limit: FileLimit): Promise<Buffer> {
  const st = await fs.promises.stat(path).catch((e) => { throw explainReadError(path, limit.what, e); });
  refuseUnlessRegular(path, st, limit);
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(path, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  } catch (e) {
    throw explainReadError(path, limit.what, e);
  }
  try {
    const opened = await handle.stat();
    if (!opened.isFile() || opened.ino !== st.ino || opened.dev !== st.dev || opened.size > limit.maxBytes) {
      throw new Error(`The ${limit.what} ${path} changed while it was being opened; try again.`);
    }
    const buf = Buffer.allocUnsafe(opened.size);
    let got = 0;
    while (got < buf.length) {
      const { bytesRead } = await handle.read(buf, got, buf.length - got, got);
      if (bytesRead === 0) throw new Error(`The ${limit.what} ${path} changed while it was being read; try again.`);
      got += bytesRead;
    }
    return buf;
  } finally {
    await handle.close();
  }
}

function statOrExplain(path: string, what: string): fs.Stats {
  try {
    return fs.statSync(path);
  } catch (e) {
    throw explainReadError(path, what, e);
  }
}

/** Refuses, in one sentence, anything but a regular file within the limit that is not a temp file. */
function refuseUnlessRegular(path: string, st: fs.Stats, limit: FileLimit): void {
  const { what } = limit;
  if (st.isDirectory()) throw new Error(`The path ${path} is a folder, not a ${what} file.`);
  if (!st.isFile()) {
    const target = linkTarget(path);
    throw new Error(`${target ? `${path} links to ${target}, which is` : `${path} is`} ${kindOf(st)}, not a regular file.`);
  }
  const of = tempFileTarget(path);
  if (of !== undefined) {
    throw new Error(`${path} is the temp file of a save of ${of} that never finished; use ${of}.`);
  }
  if (st.size > limit.maxBytes) {
    throw new Error(`The ${what} ${path} is ${formatBytes(st.size)}, more than the ${formatBytes(limit.maxBytes)}${limit.because}.`);
  }
}

function kindOf(st: fs.Stats): string {
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'something else';
}

function linkTarget(path: string): string | undefined {
  try {
    return fs.lstatSync(path).isSymbolicLink() ? fs.realpathSync(path) : undefined;
  } catch {
    return undefined;
  }
}

export function explainReadError(path: string, what: string, e: unknown): Error {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new Error(`There is no ${what} at ${path}.`);
  if (code === 'EISDIR') return new Error(`The path ${path} is a folder, not a ${what} file.`);
  if (code === 'EACCES' || code === 'EPERM') return new Error(`The ${what} ${path} cannot be read (permission denied).`);
  if (code === 'ELOOP') return new Error(`The ${what} ${path} is a symbolic link that loops.`);
  return new Error(`The ${what} ${path} cannot be read (${code ?? (e as Error).message}).`);
}
