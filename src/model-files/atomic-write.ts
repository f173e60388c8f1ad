// Replace a file so that readers (and a crash) see either the old bytes or the new, never a mix:
// write a temp file in the same folder (rename is atomic only within one file system), fsync it,
// rename it over the target, then fsync the folder so the rename itself survives a power cut.
// A write that fails (a full disk, a folder gone) throws a LensError 'save-failed' saying why in
// words, the old file intact; temp files that killed writers left behind are removed first.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { LensError } from '../errors';
import { tempPathFor as tempPathNamed, tempFileWriter } from './paths';

const tempPathFor = (target: string) => tempPathNamed(target, randomBytes(4).toString('hex'));

/** A temp file this old is stale even if a process of its writer's pid is alive (pids are reused,
 *  and another container's pids are not ours to see); a save takes seconds, not minutes. */
const STALE_TEMP_MS = 10 * 60_000;

/** what: the kind of file, for the sentence if the write fails ("checkpoint"). */
export function writeFileAtomic(target: string, bytes: Uint8Array, what = 'file'): void {
  removeStaleTempFiles(target);
  const existed = fs.existsSync(target);
  try {
    writeThroughTemp(target, bytes);
  } catch (e) {
    throw saveFailed(target, what, existed, e);
  }
  syncDir(path.dirname(target));
}

function writeThroughTemp(target: string, bytes: Uint8Array): void {
  const tmp = tempPathFor(target);
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'wx', 0o644);
    let written = 0;
    while (written < bytes.length) written += fs.writeSync(fd, bytes, written, bytes.length - written);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, target);
  } catch (e) {
    if (fd !== undefined) try { fs.closeSync(fd); } catch { /* already failing */ }
    try { fs.unlinkSync(tmp); } catch { /* never created, or already renamed */ }
    throw e;
  }
}

export async function writeFileAtomicAsync(target: string, bytes: Uint8Array, what = 'file'): Promise<void> {
  removeStaleTempFiles(target);
  const existed = fs.existsSync(target);
  try {
    await writeThroughTempAsync(target, bytes);
  } catch (e) {
    throw saveFailed(target, what, existed, e);
  }
  syncDir(path.dirname(target));
}

async function writeThroughTempAsync(target: string, bytes: Uint8Array): Promise<void> {
  const tmp = tempPathFor(target);
  let handle: fs.promises.FileHandle | undefined;
  try {
    handle = await fs.promises.open(tmp, 'wx', 0o644);
    let written = 0;
    while (written < bytes.length) written += (await handle.write(bytes, written, bytes.length - written)).bytesWritten;
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fs.promises.rename(tmp, target);
  } catch (e) {
    if (handle !== undefined) await handle.close().catch(() => undefined);
    await fs.promises.unlink(tmp).catch(() => undefined);
    throw e;
  }
}

/** Why target cannot be written (its folder missing, read-only, full, ...), or undefined when a
 *  probe file could be created and removed beside it: what a run checks before hours of work. */
export function whyNotWritable(target: string): string | undefined {
  const dir = path.dirname(path.resolve(target));
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch {
    return `the folder ${dir} does not exist`;
  }
  if (!st.isDirectory()) return `${dir} is not a folder`;
  const probe = tempPathFor(target);   // named as our temp files are, so a crash here leaves nothing unknown
  try {
    fs.closeSync(fs.openSync(probe, 'wx', 0o644));
    fs.unlinkSync(probe);
    return undefined;
  } catch (e) {
    try { fs.unlinkSync(probe); } catch { /* never created */ }
    return writeErrorReason(e);
  }
}

/** Removes the temp files of writes to target that will never finish: their writer is gone, or
 *  they are older than any save takes. Best effort: a file that cannot be removed stays. */
export function removeStaleTempFiles(target: string): void {
  const dir = path.dirname(target), base = path.basename(target);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(`.${base}.`)) continue;
    const pid = tempFileWriter(name);
    if (pid === undefined) continue;
    const file = path.join(dir, name);
    try {
      const ageMs = Date.now() - fs.lstatSync(file).mtimeMs;
      if (ageMs > STALE_TEMP_MS || (pid !== process.pid && !isAlive(pid))) fs.unlinkSync(file);
    } catch {
      /* gone already, or not ours to remove */
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);   // signal 0: only asks whether the process exists
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';   // exists, but is another user's
  }
}

function saveFailed(target: string, what: string, existed: boolean, e: unknown): LensError {
  const reason = writeErrorReason(e);
  return new LensError({ code: 'save-failed', path: target, what, reason, kept: existed },
    `The ${what} could not be saved to ${target} (${reason}); ${existed ? `the previous ${what} there is intact` : 'nothing was written'}.`);
}

/** A failed write's cause in words, without the temp file's path that Node's message carries. */
export function writeErrorReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOSPC': return 'no space left on the device';
    case 'EDQUOT': return 'the disk quota is used up';
    case 'EFBIG': return 'the file would be larger than the system allows';
    case 'EROFS': return 'the file system is read-only';
    case 'EACCES': case 'EPERM': return 'permission denied';
    case 'ENOENT': case 'ENOTDIR': return 'the folder does not exist';
    case 'EIO': return 'an input/output error';
    default: return code ? `error ${code}` : (e as Error).message.replace(/\.$/, '');
  }
}

/** Best effort: some platforms (Windows) cannot open or fsync a directory; the rename is done. */
function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    /* not supported here */
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
