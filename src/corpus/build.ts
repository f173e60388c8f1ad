// Files -> training and validation text. Each file is preceded by a header line naming it, in the
// style `head` uses between files, so the model sees which file (and so which language) follows:
//
//   ==> src/foo.ts <==
//   ...the file's text, with a final newline added if it has none...
//
// The split is by file, not by position, so validation text is code the model never trained on.
import type { CorpusFile } from './collect';

/** The line that introduces a file in the corpus; prime the model with it to name the file. */
export function fileHeader(relPath: string): string {
  return `==> ${relPath} <==\n`;
}

/** Where a file's text (after its header) sits in train or val: UTF-16 string indices [start, end). */
export interface FileSpan {
  relPath: string;
  start: number;
  end: number;
}

export interface SplitCorpus {
  train: string;
  val: string;
  trainFiles: string[];
  valFiles: string[];
  trainSpans: FileSpan[];
  valSpans: FileSpan[];
}

export interface SplitOptions {
  /** share of files (by count) held out; default 0.1 */
  valFraction?: number;
  seed?: number;
}

/**
 * Splits by file: files are ranked by a hash of (seed, path), and the first
 * round(n * valFraction) go to validation, at least one when valFraction > 0 and there are two or
 * more files, and never all of them (a lone file goes to train, leaving val empty). Each part
 * keeps path order. The same files and seed always give the same split.
 */
export function buildCorpus(files: readonly Pick<CorpusFile, 'relPath' | 'text'>[], opts: SplitOptions = {}): SplitCorpus {
  const valFraction = opts.valFraction ?? 0.1;
  const seed = opts.seed ?? 1;
  if (!(valFraction >= 0 && valFraction < 1)) throw new Error(`The validation fraction must be in [0, 1), not ${valFraction}.`);
  if (files.length === 0) throw new Error('There are no files to build a corpus from.');

  const n = files.length;
  let nVal = Math.round(n * valFraction);
  if (valFraction > 0 && n >= 2) nVal = Math.max(1, nVal);
  nVal = Math.min(nVal, n - 1);
  const ranked = files
    .map((f) => ({ f, h: splitHash(seed, f.relPath) }))
    .sort((a, b) => a.h - b.h || (a.f.relPath < b.f.relPath ? -1 : a.f.relPath > b.f.relPath ? 1 : 0));
  const valSet = new Set(ranked.slice(0, nVal).map((r) => r.f));

  const byPath = [...files].sort((a, b) => (a.relPath < b.relPath ? -1 : a.relPath > b.relPath ? 1 : 0));
  const train = join(byPath.filter((f) => !valSet.has(f)));
  const val = join(byPath.filter((f) => valSet.has(f)));
  return {
    train: train.text, val: val.text,
    trainFiles: train.spans.map((s) => s.relPath), valFiles: val.spans.map((s) => s.relPath),
    trainSpans: train.spans, valSpans: val.spans,
  };
}

function join(files: readonly Pick<CorpusFile, 'relPath' | 'text'>[]): { text: string; spans: FileSpan[] } {
  const parts: string[] = [];
  const spans: FileSpan[] = [];
  let pos = 0;
  for (const f of files) {
    const header = fileHeader(f.relPath);
    const body = f.text.endsWith('\n') || f.text.length === 0 ? f.text : f.text + '\n';
    spans.push({ relPath: f.relPath, start: pos + header.length, end: pos + header.length + f.text.length });
    parts.push(header, body);
    pos += header.length + body.length;
  }
  return { text: parts.join(''), spans };
}

/** FNV-1a over the seed and path, then murmur3's finalizer: a uniform uint32 per (seed, path). */
export function splitHash(seed: number, relPath: string): number {
  const key = `${seed >>> 0}\u0000${relPath}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
