// The CLI's --raw: each file verbatim as its own text stream: no content filters, no headers, no
// split. A folder stands for its files (ignore rules apply, as they do for the corpus), in path order.
import * as fs from 'node:fs';
import { readFileStable, ReadLimits } from './read-file';
import { SkipCounts, SkipReason } from './skips';
import { listCandidates } from './walk';

/** --raw text read at most, in one file or in all: a whole corpus file (a benchmark's train.txt)
 *  is one raw stream, so the corpus's 1 MiB per-file cap does not apply; this bounds memory (the
 *  same as the editor's largest lstmLens.maxCorpusMB). */
export const RAW_MAX_BYTES = 512 * (1 << 20);

/**
 * One string per file, in the order given (a folder's files in path order): the bytes as UTF-8,
 * BOM kept, invalid sequences as U+FFFD. Read as the corpus reads (read-file.ts: regular files
 * only, so a FIFO or a link to /dev/zero is refused, not read forever) and within RAW_MAX_BYTES in
 * all: a file named here that does not fit is an error, not a skip, since it was asked for.
 */
export async function readRawStreams(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  const limits: ReadLimits = { maxFileBytes: RAW_MAX_BYTES, remainingBytes: RAW_MAX_BYTES };
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
      for (const f of found) out.push(await readVerbatim(f.absPath, limits));
    } else {
      out.push(await readVerbatim(p, limits));
    }
  }
  return out;
}

async function readVerbatim(p: string, limits: ReadLimits): Promise<string> {
  const r = await readFileStable(p, limits);
  if (!r.ok) throw new Error(refusal(p, r.reason, limits));
  limits.remainingBytes -= r.bytes.length;
  return new TextDecoder('utf-8', { ignoreBOM: true }).decode(r.bytes);
}

function refusal(p: string, reason: SkipReason, limits: ReadLimits): string {
  const mb = (n: number) => `${Math.round(n / (1 << 20))} MiB`;
  switch (reason) {
    case 'notRegular': return `Cannot read ${p}: it is not a regular file (a named pipe, a device or a socket).`;
    case 'huge': return `Cannot read ${p}: it is larger than ${mb(limits.maxFileBytes)}, the most LSTM Lens reads of one file.`;
    case 'overBudget': return `Cannot read ${p}: the files given take more than ${mb(RAW_MAX_BYTES)}, the most LSTM Lens reads in all.`;
    case 'vanished': return `Cannot read ${p}: it is gone.`;
    case 'changed': return `Cannot read ${p}: it changed while it was being read.`;
    case 'symlinkLoop': return `Cannot read ${p}: it is a symbolic link that loops.`;
    default: return `Cannot read ${p} (permission denied or a read error).`;
  }
}
