// What the editor says about a run's corpus before the model trains on it: a corpus too small for
// the model (it learns the files by heart, and validation gets worse while train falls).
//
// "Too small" is measured (bench/corpus-size/run.sh: 1-layer LSTMs of 32 and 128 units, 1,500
// steps on prefixes of bench/heldout's TypeScript): under 30,000 characters validation stayed at
// 4.9–8.5 bits/char, against 1.9–2.6 on corpora of 300 k–1 M characters; under one character per
// parameter train fell far below validation (1×128 on 100 k characters: train 0.74, validation
// 2.44; on 300 k: 1.16 and 1.98). The fixture workspace of the tests (2.4 k characters, a 1×32
// model of 14 k parameters) is past both.
import { plural } from '../format';

export const MIN_TRAIN_CHARS = 30_000;
export const MIN_CHARS_PER_PARAM = 1;

export interface ModelShape { cell: string; layers: number; hidden: number }

/** The warning when `trainChars` of training text are too few for a model of `params` weights, or undefined. */
export function smallCorpusWarning(trainChars: number, params: number, shape: ModelShape, resumed: boolean): string | undefined {
  if (trainChars >= MIN_TRAIN_CHARS && trainChars >= MIN_CHARS_PER_PARAM * params) return undefined;
  const n = (x: number) => x.toLocaleString('en-US');
  const model = `${shape.layers}×${shape.hidden} ${shape.cell.toUpperCase()}`;
  const smaller = resumed
    ? 'or a smaller model (lstmLens.hiddenSize or lstmLens.layers, then Reset Model: a stored model keeps its size)'
    : 'or a smaller model (lstmLens.hiddenSize, lstmLens.layers)';
  return `The workspace gives little text to learn from: ${plural(trainChars, 'character')} of training text for a ${model} of ${n(params)} parameters. ` +
    `Under ${n(MIN_TRAIN_CHARS)} characters, or one character per parameter, a model learns the files by heart rather than the language ` +
    `(validation stays high, around 5 bits/char or more, while train falls). Add files (lstmLens.include, lstmLens.maxCorpusMB), ${smaller}.`;
}
