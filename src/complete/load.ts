// Files for completions (Node only): the checkpoint and the n-gram counts beside it, loaded as a
// CompletionModel; and the hook training calls to write those counts.
import * as fs from 'node:fs';
import type { Checkpoint } from '../engine/checkpoint';
import type { Kernels } from '../engine/kernels';
import type { CharNGram } from './ngram';
import { asLensError } from '../errors';
import { writeFileAtomic } from '../model-files/atomic-write';
import { MAX_CHECKPOINT_BYTES } from '../model-files/limits';
import { readModelFile } from '../model-files/read-model-file';
import { loadModel } from '../model-files/load-model';
import { CompletionModel } from './completion-model';
import { buildCorpusNGram, Calibration, decodeNGramFile, encodeNGramFile, extensionsOf, pickCalibration, vocabFingerprint } from './ngram-file';
import { ngramPathFor } from '../model-files/paths';

/** The counts of the largest corpus a run reads take far less than the largest checkpoint. */
const NGRAM_FILE = { what: 'n-gram counts', maxBytes: MAX_CHECKPOINT_BYTES, because: ', the size of the largest model LSTM Lens builds' };

export interface LoadedCompletionModel {
  model: CompletionModel;
  checkpoint: Checkpoint;
  /** One sentence when the n-gram counts could not be used (the LSTM then works alone). */
  notice?: string;
}

/** Loads a checkpoint and the n-gram counts beside it (or at ngramPath). A bad checkpoint throws
 *  one clear sentence; missing or unusable counts only leave a notice. */
export function loadCompletionModel(checkpointPath: string, kernels: Kernels, ngramPath = ngramPathFor(checkpointPath)): LoadedCompletionModel {
  const { checkpoint, model: rnn, vocab } = loadModel(checkpointPath, kernels, 1, 1);
  let ngram: CharNGram | null = null;
  let extensions: string[] = [];
  let calibration: string[] = [];
  let notice: string | undefined;
  if (!fs.existsSync(ngramPath)) {
    notice = `There are no n-gram counts beside the model (${ngramPath}); completions use the LSTM alone until a training run writes them.`;
  } else {
    try {
      const f = decodeNGramFile(readModelFile(ngramPath, NGRAM_FILE));
      if (f.vocab !== vocabFingerprint(checkpoint.vocab)) {
        notice = `The n-gram counts in ${ngramPath} belong to another model (another vocabulary); completions use the LSTM alone until a training run rewrites them.`;
      } else if (f.ngram.vocabSize !== vocab.size) {
        notice = `The n-gram counts in ${ngramPath} do not fit the model's vocabulary; completions use the LSTM alone.`;
      } else {
        ngram = f.ngram;
        extensions = f.extensions;
        calibration = f.calibration.streams;
      }
    } catch (e) {
      notice = `The n-gram counts in ${ngramPath} cannot be used (${(e as Error).message.replace(/\.$/, '')}); completions use the LSTM alone.`;
    }
  }
  return { model: new CompletionModel({ rnn, vocab, ngram, extensions, calibration }), checkpoint, notice };
}

export function saveNGramBeside(checkpointPath: string, ngram: CharNGram, vocab: readonly string[], extensions: readonly string[],
  calibration?: Calibration): void {
  writeFileAtomic(ngramPathFor(checkpointPath), encodeNGramFile(ngram, vocab, extensions, calibration), 'n-gram counts');
}

/** What a training run calls: counts the training ids once (when made) and writes them beside the
 *  checkpoint at the first save (before the checkpoint, so a completion worker that reloads on
 *  "saved" finds both). */
export class CorpusNGramWriter {
  private ngram: CharNGram | undefined;
  private readonly extensions: string[];
  private readonly calibration: Calibration;

  /** relPaths: the training files (for the languages), or streams starting with their headers.
   *  heldOut: validation files, some of which are stored for the mixer's warm-up. */
  constructor(private readonly checkpointPath: string, ids: Int32Array, private readonly vocab: readonly string[], relPaths: readonly string[],
    heldOut: readonly { relPath: string; text: string }[] = []) {
    this.ngram = buildCorpusNGram(ids, vocab.length);
    this.calibration = pickCalibration(heldOut);
    // a stream names its file in its header; a raw stream names none
    const paths = relPaths.map((p) => (p.includes('\n') ? /^==> (.*) <==\n/.exec(p)?.[1] : p)).filter((p): p is string => !!p);
    this.extensions = extensionsOf(paths);
  }

  /** Writes the counts (the first call only; later ones do nothing). Never throws: completions
   *  then do without the counts, training goes on. Returns an error sentence when writing failed. */
  save(): string | undefined {
    const ngram = this.ngram;
    if (!ngram) return undefined;
    this.ngram = undefined;   // written once; let the memory go
    try {
      saveNGramBeside(this.checkpointPath, ngram, this.vocab, this.extensions, this.calibration);
      return undefined;
    } catch (e) {
      const failed = asLensError(e);
      const reason = failed?.data.code === 'save-failed' ? failed.data.reason : (e as Error).message.replace(/\.$/, '');
      return `The n-gram counts for completions could not be written (${reason}); completions will use the LSTM alone.`;
    }
  }
}

/** Held-out streams as read by the CLI (each a header line, then the file) as files. */
export function streamsAsFiles(streams: readonly string[]): { relPath: string; text: string }[] {
  const out: { relPath: string; text: string }[] = [];
  for (const s of streams) {
    const m = /^==> (.*) <==\n/.exec(s);
    if (m) out.push({ relPath: m[1], text: s.slice(m[0].length) });
  }
  return out;
}
