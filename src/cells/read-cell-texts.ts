// The CLI's <path...> as texts for cell discovery and traces, each with its language and (unless
// --raw) the corpus's header line, which the model reads first but which is not scored.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { collectCorpus, describeCollected, fileHeader } from '../corpus';
import { readRawStreams } from '../corpus/raw';
import type { SkipCounts } from '../corpus/skips';
import { listCandidates } from '../corpus/walk';
import type { CellText } from './activations';
import { languageFromPath } from './labels/labels';

export interface ReadOptions {
  /** Each file verbatim, no header, no filters. */
  raw: boolean;
  /** A VS Code language id for every file (default: from each file's name). */
  language?: string;
  onNotice?: (message: string) => void;
}

export async function readCellTexts(paths: string[], o: ReadOptions): Promise<CellText[]> {
  if (!o.raw) {
    const corpus = await collectCorpus(paths, {});
    const summary = describeCollected(corpus);
    if (summary) o.onNotice?.(summary);
    return corpus.files.map((f) => ({ text: f.text, header: fileHeader(f.relPath), languageId: o.language ?? languageFromPath(f.relPath) }));
  }
  const out: CellText[] = [];
  for (const p of paths) {
    let files = [p];
    if (fs.existsSync(p) && fs.statSync(p).isDirectory()) {
      const skipped: SkipCounts = {};
      const found = await listCandidates([p], {}, skipped);
      files = found.map((f) => f.absPath).sort();
    }
    const texts = await readRawStreams(files);
    files.forEach((f, i) => out.push({ text: texts[i], languageId: o.language ?? languageFromPath(path.basename(f)) }));
  }
  return out;
}
