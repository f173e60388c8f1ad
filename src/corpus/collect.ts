// Folders -> the text files worth training on, each checked and read once, in path order.
import { createHash } from 'node:crypto';
import { countCodePoints, decodeUtf8, hasNulByte, looksMinified } from './filters';
import { readFileStable } from './read-file';
import { NoUsableTextError, SkipCounts, countSkip, describeSkips } from './skips';
import { abortError, listCandidates } from './walk';

export const DEFAULT_MAX_FILE_BYTES = 1 << 20;        // 1 MiB
export const DEFAULT_MAX_TOTAL_BYTES = 64 * (1 << 20); // 64 MiB: far more than minutes of training read; bounds memory

export interface CorpusFile {
  /** '/'-separated, relative to the root (prefixed by the root's folder name when there are several roots) */
  relPath: string;
  absPath: string;
  /** the file's text, UTF-8 decoded, BOM dropped, line ends as they are */
  text: string;
}

export interface CorpusFiles {
  files: CorpusFile[];       // sorted by relPath
  skipped: SkipCounts;       // only the reasons that occurred
  totalChars: number;        // code points over all files
  totalBytes: number;
}

export type CorpusProgress =
  | { phase: 'listing'; listed: number }
  | { phase: 'reading'; done: number; total: number; relPath: string }
  | { phase: 'listed'; total: number };

export interface CollectOptions {
  maxFileBytes?: number;
  maxTotalBytes?: number;
  /** a last say on each listed file; false counts as 'ignored' */
  include?: (relPath: string) => boolean;
  /** more gitignore-style patterns, matched from each root */
  extraIgnore?: string[];
  onProgress?: (p: CorpusProgress) => void;
  signal?: AbortSignal;
}

/**
 * Walks the roots (folders or single files) and returns the usable text files. Throws
 * NoUsableTextError (one sentence summing up the skips) when none is left, and a plain Error
 * when a root does not exist.
 */
export async function collectCorpus(roots: string[], opts: CollectOptions = {}): Promise<CorpusFiles> {
  if (roots.length === 0) throw new Error('No files or folders were given to read.');
  const maxFileBytes = opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const maxTotalBytes = opts.maxTotalBytes ?? DEFAULT_MAX_TOTAL_BYTES;
  const skipped: SkipCounts = {};
  const candidates = await listCandidates(roots, {
    extraIgnore: opts.extraIgnore,
    include: opts.include,
    signal: opts.signal,
    onListed: (listed) => opts.onProgress?.({ phase: 'listing', listed }),
  }, skipped);
  // Path order decides everything below (which duplicate is kept, what fits the budget).
  candidates.sort((a, b) => (a.relPath < b.relPath ? -1 : a.relPath > b.relPath ? 1 : 0));
  opts.onProgress?.({ phase: 'listed', total: candidates.length });

  const files: CorpusFile[] = [];
  const seen = new Set<string>();
  let totalBytes = 0, totalChars = 0;
  for (let i = 0; i < candidates.length; i++) {
    if (opts.signal?.aborted) throw abortError();
    const { absPath, relPath } = candidates[i];
    opts.onProgress?.({ phase: 'reading', done: i, total: candidates.length, relPath });
    const r = await readFileStable(absPath, { maxFileBytes, remainingBytes: maxTotalBytes - totalBytes });
    if (!r.ok) { countSkip(skipped, r.reason, relPath); continue; }
    const bytes = r.bytes;
    if (bytes.length === 0) { countSkip(skipped, 'empty', relPath); continue; }
    if (hasNulByte(bytes)) { countSkip(skipped, 'binary', relPath); continue; }
    const text = decodeUtf8(bytes);
    if (text === undefined) { countSkip(skipped, 'binary', relPath); continue; }
    if (text.length === 0) { countSkip(skipped, 'empty', relPath); continue; } // a lone BOM
    if (looksMinified(relPath, text)) { countSkip(skipped, 'minified', relPath); continue; }
    const hash = createHash('sha256').update(bytes).digest('base64');
    if (seen.has(hash)) { countSkip(skipped, 'duplicate', relPath); continue; }
    seen.add(hash);
    files.push({ relPath, absPath, text });
    totalBytes += bytes.length;
    totalChars += countCodePoints(text);
  }
  if (files.length === 0) throw new NoUsableTextError(roots, skipped);
  return { files, skipped, totalChars, totalBytes };
}

/** "Read 120 files (1,234,567 characters); skipped 3 binary files and 40 ignored files or folders." */
export function describeCollected(c: CorpusFiles): string {
  const n = c.files.length;
  const read = `Read ${n.toLocaleString('en-US')} ${n === 1 ? 'file' : 'files'} (${c.totalChars.toLocaleString('en-US')} characters)`;
  const skipped = describeSkips(c.skipped);
  return skipped ? `${read}; skipped ${skipped}.` : `${read}.`;
}
