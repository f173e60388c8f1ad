// Size from the budget: the width and depth of a NEW model, chosen from the corpus size and the
// time budget, so that the minutes are spent where they pay. A big model on a short budget sees
// too few characters to learn what its size could hold (starved); a small model that runs
// through a small corpus many times in the budget learns it by heart (overfits), where a bigger
// one, fewer times through, generalises better. The rule, measured on the held-out corpora
// (bench/heldout/README.md, "Size from the budget"):
//
//   chars(s)  = budget seconds × referenceSpeed(params(s))   the characters the budget buys at size s
//   1. the largest rung s of SIZE_LADDER that is well fed: chars(s) ≥ FED_CHARS_PER_PARAM × params(s)
//   2. while s would pass over the corpus more than MAX_EPOCHS times (chars(s) > MAX_EPOCHS × corpus)
//      and the next rung is still fed: chars ≥ MIN_CHARS_PER_PARAM × params, take the next rung
//
// It depends on the corpus size, the budget, the cell and the vocabulary only: never on the
// speed of the machine it runs on (a reference speed stands for it), so the same corpus and
// budget give the same model everywhere. The model is always a plain stack of torch.nn.LSTM /
// GRU / RNN layers + Linear, as any other. Settings and flags override either dimension.
import type { CellType } from '../engine/config';
import { paramLayout } from '../engine/params';

export interface ModelSize { layers: number; hidden: number }

/** The sizes to choose from, smallest first. It stops at 2×384: a bigger model's completions
 *  (one step per character typed) would be slow on a laptop core; a setting can still ask for one. */
export const SIZE_LADDER: readonly ModelSize[] = [
  { layers: 1, hidden: 64 }, { layers: 1, hidden: 128 }, { layers: 1, hidden: 256 }, { layers: 2, hidden: 256 },
  { layers: 2, hidden: 384 },
];

/** Training characters per second of one thread of the reference machine (the 2-core machine of
 *  the benchmarks, CPU time: 1×128 LSTM 89,600; 2×256 8,870; 2×512 2,140), as a power law in the
 *  parameter count: a step's work grows with the parameters, a little faster than linearly. */
export function referenceSpeed(params: number): number {
  return 89_600 * Math.pow(130_660 / params, 1.14);
}

/** Step 1: well fed at this many characters per parameter (at 2 minutes on 4 M characters of
 *  TypeScript, 1×128 at 82 chars/param beat 1×256 at 7.6). */
export const FED_CHARS_PER_PARAM = 20;
/** Step 2: passes over the corpus past which a bigger model pays (at 2 minutes on 1 M characters,
 *  1×256 through it 3 times beat 1×128 through it 10.7 times) ... */
export const MAX_EPOCHS = 5;
/** ... as long as it gets at least this many characters per parameter (on 0.2 M characters,
 *  2×256 at 1.16 chars/param and 5 passes beat 1×256 at 7.6 and 15 passes; 2×384 at 0.2 lost
 *  everywhere). */
export const MIN_CHARS_PER_PARAM = 1;

export interface SizeChoice extends ModelSize {
  params: number;
  /** The characters the budget buys at this size on the reference machine. */
  chars: number;
}

/** The size of a new model for `corpusChars` of training text and a budget of `minutes`. */
export function chooseModelSize(corpusChars: number, minutes: number, cell: CellType = 'lstm', vocabSize = 100): SizeChoice {
  const rated = SIZE_LADDER.map((s) => {
    const params = paramLayout({ cell, layers: s.layers, hidden: s.hidden, vocabSize, dropout: 0 }).total;
    return { ...s, params, chars: minutes * 60 * referenceSpeed(params) };
  });
  let k = 0;
  while (k + 1 < rated.length && rated[k + 1].chars >= FED_CHARS_PER_PARAM * rated[k + 1].params) k++;
  while (k + 1 < rated.length && rated[k].chars > MAX_EPOCHS * corpusChars && rated[k + 1].chars >= MIN_CHARS_PER_PARAM * rated[k + 1].params) k++;
  return rated[k];
}

/** The size a new model gets: each dimension the settings give (0: not given), the rest from
 *  chooseModelSize for a time budget; a budget of steps or epochs buys the same characters at any
 *  size, so it keeps the fixed default (DEFAULTS.model.fixedLayers × fixedHidden). */
export function resolveModelSize(asked: ModelSize, corpusChars: number, budget: { minutes?: number; steps?: number; epochs?: number },
  cell: CellType, fixed: ModelSize): ModelSize & { chosen: boolean } {
  if (asked.layers > 0 && asked.hidden > 0) return { ...asked, chosen: false };
  const timed = budget.minutes !== undefined && budget.steps === undefined && budget.epochs === undefined;
  const pick = timed ? chooseModelSize(corpusChars, budget.minutes!, cell) : fixed;
  return { layers: asked.layers > 0 ? asked.layers : pick.layers, hidden: asked.hidden > 0 ? asked.hidden : pick.hidden, chosen: timed };
}
