// The cell atlas: every cell of a model scored against every feature of the code's own syntax
// (features.ts), chosen on one half of the text and scored on the other (score.ts), and the best
// cell of each feature checked by ablation (ablation.ts). `lstm-lens cells --atlas` prints it.
import type { CharRNN } from '../../engine/model';
import type { Vocab } from '../../corpus/vocab';
import { collectActivations, type CellText, type CollectOptions } from '../activations';
import { halfPoint } from '../discover';
import { ablationEffect, runAblations, type AblationResult, type ClampTo } from './ablation';
import { extractFeatures } from './features';
import { scoreAtlas, type CellExplanation, type FeatureScore } from './score';

export interface AtlasEntry extends FeatureScore { ablation?: AblationResult }

export interface Atlas {
  /** One per feature with its best cell, best first. */
  features: AtlasEntry[];
  /** One per cell: the feature it explains best, best first. */
  cells: CellExplanation[];
  chars: { select: number; score: number };
  dropped: number;
  /** Features too rare, too common or constant in a half to be scored. */
  skipped: number;
  /** How the ablations were run: over `chars` characters at the start of the scoring half. */
  ablation: { clamp: ClampTo; chars: number; baseBits: number } | undefined;
}

export interface AtlasOptions extends CollectOptions {
  /** Hold cells at their mean (default) or at zero for the ablations; 'none' runs none. */
  ablate?: ClampTo | 'none';
  /** Characters of the scoring half the ablations read (default 20,000). */
  ablationChars?: number;
  /** Ablations for the best cells of this many features, best first (default 40). */
  ablationFeatures?: number;
  onPhase?: (phase: 'run' | 'features' | 'score' | 'ablate') => void;
  onAblation?: (done: number, total: number) => void;
}

export async function buildAtlas(model: CharRNN, vocab: Vocab, texts: readonly CellText[], opts: AtlasOptions = {}): Promise<Atlas> {
  opts.onPhase?.('run');
  const a = await collectActivations(model, vocab, texts, opts);
  if (a.n < 4) throw new Error(`There are ${a.n} characters to look at; the atlas needs more text.`);
  opts.onPhase?.('features');
  const features = await extractFeatures(a, texts);
  opts.onPhase?.('score');
  const split = halfPoint(a);
  const scores = scoreAtlas(a, features, split);
  const entries: AtlasEntry[] = scores.features.map((f) => ({ ...f }));
  let ablation: Atlas['ablation'];
  if (opts.ablate !== 'none') {
    opts.onPhase?.('ablate');
    const clamp = opts.ablate ?? 'mean';
    const end = Math.min(a.n, split + (opts.ablationChars ?? 20_000));
    const chosen = entries.slice(0, opts.ablationFeatures ?? 40);
    const run = await runAblations(model, a, split, end, chosen, clamp, { onCell: opts.onAblation, yieldEvery: opts.yieldEvery });
    const byName = new Map(features.map((f) => [f.name, f]));
    for (const e of chosen) {
      const effect = ablationEffect(run, byName.get(e.feature)!, e);
      if (effect) e.ablation = effect;
    }
    ablation = { clamp, chars: end - split, baseBits: Math.round(run.baseBits * 1e4) / 1e4 };
  }
  return { features: entries, cells: scores.cells, chars: { select: split, score: a.n - split }, dropped: a.dropped, skipped: scores.skipped, ablation };
}
