// The CLI's --raw: each file verbatim as its own text stream: no content filters, no headers, no
// split. A folder stands for its files (ignore rules apply, as they do for the corpus), in path order.
import * as fs from 'node:fs';
import { SkipCounts } from './skips';
import { listCandidates } from './walk';

/**
 * One string per file, in the order given (a folder's files in path order): the bytes as UTF-8,
 * BOM kept, invalid sequences as U+FFFD.
 */
export async function readRawStreams(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    let st: fs.Stats;
    try {
      st = await fs.promises.stat(p);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') throw new Error(`There is no file or folder at ${p}.`);
      throw new Error(`Cannot read ${p} (${code ?? (e as Error).message}).`);
    }
    if (st.isDirectory()) {
      const skipped: SkipCounts = {};
      const found = await listCandidates([p], {}, skipped);
      found.sort((a, b) => (a.relPath < b.relPath ? -1 : a.relPath > b.relPath ? 1 : 0));
      for (const f of found) out.push(await readVerbatim(f.absPath));
    } else {
      out.push(await readVerbatim(p));
    }
  }
  return out;
}

async function readVerbatim(p: string): Promise<string> {
  try {
    const bytes = await fs.promises.readFile(p);
    return new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') throw new Error(`Cannot read ${p} (permission denied).`);
    throw new Error(`Cannot read ${p} (${code ?? (e as Error).message}).`);
  }
}
