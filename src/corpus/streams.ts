// Files and folders named on a command line as text streams: through the corpus rules (ignores,
// filters, a header line per file, a train/validation split by file), or raw, each file verbatim.
import { collectCorpus, describeCollected } from './collect';
import { buildCorpus, fileHeader } from './build';
import { readRawStreams } from './raw';

export interface Texts {
  /** Training streams: one per file, each with its header line (or verbatim with --raw). */
  train: string[];
  /** Validation streams: the held-out files (empty without a split). */
  val: string[];
}

export async function readTexts(paths: string[], o: { raw: boolean; split: boolean; onNotice?: (m: string) => void }): Promise<Texts> {
  if (o.raw) return { train: await readRawStreams(paths), val: [] };
  const corpus = await collectCorpus(paths, {});
  const summary = describeCollected(corpus);
  if (summary) o.onNotice?.(summary);
  if (!o.split) return { train: corpus.files.map((f) => fileHeader(f.relPath) + f.text), val: [] };
  const split = buildCorpus(corpus.files, {});
  const byPath = new Map(corpus.files.map((f) => [f.relPath, f.text]));
  const stream = (p: string) => fileHeader(p) + (byPath.get(p) ?? '');
  return { train: split.trainFiles.map(stream), val: split.valFiles.map(stream) };
}
