// Why a file was left out of the corpus, counted per reason with a few examples, and the sentence
// that sums it up when nothing usable is left.
import { LensError } from '../errors';

export type SkipReason =
  | 'ignored'      // .gitignore, the built-in ignores, extraIgnore, or opts.include said no
  | 'binary'       // a NUL byte or invalid UTF-8
  | 'minified'     // minified or generated: very long lines
  | 'huge'         // over maxFileBytes
  | 'overBudget'   // would take the corpus past maxTotalBytes
  | 'empty'        // no bytes
  | 'duplicate'    // same bytes as a file earlier in path order (or a second link to a folder already read)
  | 'unreadable'   // permission denied or another read error
  | 'vanished'     // listed, then gone before or while it was read
  | 'changed'      // size, mtime or identity differ before and after reading
  | 'notRegular'   // socket, FIFO, device
  | 'symlinkLoop'  // a symlink back into a folder being walked, or one that points at itself
  | 'brokenLink';  // a symlink to nothing

export interface SkipCount {
  count: number;
  /** the first few paths, relative as in CorpusFile.relPath; folders end in '/' */
  examples: string[];
}

export type SkipCounts = Partial<Record<SkipReason, SkipCount>>;

/** Paths kept per reason: enough for the Training panel's list of skipped files. */
const MAX_EXAMPLES = 20;

export function countSkip(skipped: SkipCounts, reason: SkipReason, relPath: string): void {
  const s = (skipped[reason] ??= { count: 0, examples: [] });
  s.count++;
  if (s.examples.length < MAX_EXAMPLES) s.examples.push(relPath);
}

/** Order and wording of the reasons in sentences: [singular, plural]. */
const DESCRIPTIONS: [SkipReason, string, string][] = [
  ['binary', 'binary file', 'binary files'],
  ['minified', 'minified or generated file', 'minified or generated files'],
  ['huge', 'file over the size limit', 'files over the size limit'],
  ['overBudget', 'file past the total size limit', 'files past the total size limit'],
  ['empty', 'empty file', 'empty files'],
  ['duplicate', 'duplicate', 'duplicates'],
  ['unreadable', 'unreadable file', 'unreadable files'],
  ['vanished', 'file that vanished while being read', 'files that vanished while being read'],
  ['changed', 'file that changed while being read', 'files that changed while being read'],
  ['notRegular', 'special file (socket, FIFO or device)', 'special files (sockets, FIFOs or devices)'],
  ['symlinkLoop', 'symlink loop', 'symlink loops'],
  ['brokenLink', 'broken symlink', 'broken symlinks'],
  ['ignored', 'ignored file or folder', 'ignored files or folders'],
];

/** How a reason is said of n files: "binary files", "special file (socket, FIFO or device)". */
export function skipLabel(reason: string, n: number): string {
  const d = DESCRIPTIONS.find(([r]) => r === reason);
  return d ? (n === 1 ? d[1] : d[2]) : reason;
}

/** The reasons that occurred in the order sentences name them, with their counts and examples. */
export function skipsInOrder(skipped: SkipCounts): { reason: SkipReason; count: number; examples: string[] }[] {
  return DESCRIPTIONS.filter(([r]) => (skipped[r]?.count ?? 0) > 0)
    .map(([r]) => ({ reason: r, count: skipped[r]!.count, examples: skipped[r]!.examples.slice() }));
}

/** "3 binary files and 2 ignored files or folders", or '' when nothing was skipped. */
export function describeSkips(skipped: SkipCounts): string {
  const parts = DESCRIPTIONS.filter(([r]) => (skipped[r]?.count ?? 0) > 0).map(([r, one, many]) => {
    const n = skipped[r]!.count;
    return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
  });
  return joinAnd(parts);
}

export function joinAnd(parts: string[]): string {
  if (parts.length <= 1) return parts.join('');
  return `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}

/** Thrown by collectCorpus when every file was skipped; carries the counts for a fuller report. */
export class NoUsableTextError extends LensError {
  constructor(readonly roots: string[], readonly skipped: SkipCounts) {
    super({ code: 'empty-corpus' }, noUsableTextMessage(roots, skipped));
    this.name = 'NoUsableTextError';
  }
}

export function noUsableTextMessage(roots: string[], skipped: SkipCounts): string {
  const where = joinAnd(roots);
  const what = describeSkips(skipped);
  if (!what) return `Found no usable text in ${where}: there are no files to read.`;
  const total = Object.values(skipped).reduce((a, s) => a + (s?.count ?? 0), 0);
  return `Found no usable text in ${where}: ${what} ${total === 1 ? 'was' : 'were'} skipped.`;
}
