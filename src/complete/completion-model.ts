// What completions predict with: the char-RNN, its vocabulary, and (when training stored one) the
// character n-gram of the training corpus over the same ids. Plus the per-id facts decoding asks
// about (is it a newline, whitespace, a bracket), computed once.
import type { CharNGram } from './ngram';
import type { CharRNN } from '../engine/model';
import type { Vocab } from '../corpus/vocab';

export interface CompletionModelParts {
  rnn: CharRNN;
  vocab: Vocab;
  /** The corpus n-gram (ids of `vocab`); null: the LSTM alone. */
  ngram: CharNGram | null;
  /** File extensions the model was trained on ('.ts', ...), when known. */
  extensions?: string[];
  /** Held-out text (streams with their headers) that a new mixer first learns from. */
  calibration?: string[];
}

/** The separator a raw corpus puts before each file (bench/heldout's make_corpus.py). */
export const FILE_SEPARATOR = '\x1c\n';

export class CompletionModel {
  readonly rnn: CharRNN;
  readonly vocab: Vocab;
  readonly ngram: CharNGram | null;
  readonly extensions: string[];
  readonly calibration: string[];
  readonly V: number;
  /** Code point of each id; −1 for UNK (which is never generated). */
  readonly codes: Int32Array;
  /** Floats of one saved LSTM state (h and c of every layer). */
  readonly stateSize: number;
  /** The training text separated its files by "\x1c\n" (a raw corpus), not by headers. */
  readonly hasFileSeparator: boolean;
  /** Whether '\r' is in the vocabulary (the training text had CRLF line ends). */
  private readonly hasCR: boolean;

  constructor(parts: CompletionModelParts) {
    const V = parts.rnn.config.vocabSize;
    if (parts.vocab.size !== V) throw new Error(`The vocabulary has ${parts.vocab.size} characters but the model expects ${V}.`);
    if (parts.ngram && parts.ngram.vocabSize !== V) {
      throw new Error(`The n-gram counts are over ${parts.ngram.vocabSize} characters but the model has ${V}.`);
    }
    this.rnn = parts.rnn;
    this.vocab = parts.vocab;
    this.ngram = parts.ngram;
    this.extensions = parts.extensions ?? [];
    this.calibration = parts.calibration ?? [];
    this.V = V;
    this.codes = new Int32Array(V);
    parts.vocab.chars.forEach((ch, id) => { this.codes[id] = id === parts.vocab.unkId ? -1 : ch.codePointAt(0)!; });
    this.stateSize = 2 * parts.rnn.config.layers * parts.rnn.config.hidden;
    this.hasCR = parts.vocab.chars.includes('\r');
    this.hasFileSeparator = parts.vocab.chars.includes('\x1c');
  }

  /** What the training stream put before a file, given the workspace corpus header of it
   *  (fileHeader(relPath)): that header, or, for a model trained on a raw corpus whose files are
   *  separated by "\x1c\n" (its vocabulary has \x1c), that separator, which it saw before every
   *  file instead of a header it never saw. */
  fileStart(workspaceHeader: string): string {
    return this.hasFileSeparator ? FILE_SEPARATOR : workspaceHeader;
  }

  /** Ids of a text; a character outside the vocabulary becomes UNK (or, in a vocabulary without
   *  UNK, a space: never an exception, whatever the editor holds). A model that never saw a
   *  carriage return reads a CRLF document's line ends as the line feeds it was trained on. */
  encode(text: string): Int32Array {
    const vocab = this.vocab;
    if (!this.hasCR && text.includes('\r')) text = text.replace(/\r/g, '');
    if (vocab.unkId >= 0) return vocab.encode(text);
    const fallback = safeId(vocab, ' ');
    const ids = new Int32Array(text.length);
    let n = 0;
    for (const ch of text) {
      let id = fallback;
      try { id = vocab.idOf(ch); } catch { /* outside the vocabulary */ }
      ids[n++] = id;
    }
    return ids.slice(0, n);
  }
}

function safeId(vocab: Vocab, ch: string): number {
  try { return vocab.idOf(ch); } catch { return 0; }
}
