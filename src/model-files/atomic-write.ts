// Replace a file so that readers (and a crash) see either the old bytes or the new, never a mix:
// write a temp file in the same folder (rename is atomic only within one file system), fsync it,
// rename it over the target, then fsync the folder so the rename itself survives a power cut.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { tempPathFor as tempPathNamed } from './paths';

const tempPathFor = (target: string) => tempPathNamed(target, randomBytes(4).toString('hex'));

export function writeFileAtomic(target: string, bytes: Uint8Array): void {
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
  syncDir(path.dirname(target));
}

export async function writeFileAtomicAsync(target: string, bytes: Uint8Array): Promise<void> {
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
  syncDir(path.dirname(target));
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
