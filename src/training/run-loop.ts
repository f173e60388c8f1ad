// One training run, the same for the CLI and the extension's training worker: a trainer
// stepping through the text until a budget runs out or it is asked to stop, with validation,
// samples, periodic atomic checkpoints and recovery from a diverged (NaN) step.
//
// It yields to the event loop between steps, so that a signal (Ctrl-C) or a worker message
// ("stop") is seen within one step.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Checkpoint, TrainingProgress, TrainingState } from '../engine/checkpoint';
import type { ModelConfig, TrainConfig } from '../engine/config';
import { evaluateStreams } from '../engine/eval';
import type { CharRNN } from '../engine/model';
import { sample } from '../engine/sample';
import type { StepResult, TrainerExport } from '../engine/trainer';
import { DEFAULTS } from '../defaults';
import { LensError } from '../errors';

/** What the run needs of a trainer: the single-thread Trainer and the data-parallel one both fit. */
export interface StepTrainer {
  step(): StepResult;
  exportState(): TrainerExport;
  importState(x: TrainerExport): void;
}

export interface Budget {
  minutes?: number;   // wall-clock time of this run
  steps?: number;     // total optimizer steps (counted from the checkpoint's, when resuming)
  epochs?: number;    // total epochs
}

export interface ProgressEvent {
  kind: 'progress';
  step: number;
  epoch: number;
  charsSeen: number;
  charsPerSecond: number;
  trainBpc: number;          // smoothed over recent steps
  valBpc?: number;           // latest validation score
  elapsedMs: number;         // this run
  etaMs?: number;            // until the budget runs out
  fraction?: number;         // of the budget, 0..1
  sample?: string;           // a sample from the model, now and then
  lr: number;
}

export interface RunOptions {
  model: CharRNN;
  trainer: StepTrainer;
  train: TrainConfig;
  vocab: string[];
  /** Validation streams (ids); empty when there is no validation text. */
  val: Int32Array[];
  unkId: number;
  outOfVocabCodePoints: number;
  budget: Budget;
  /** Progress as it was when this run started (from the checkpoint when resuming). */
  progress: TrainingProgress;
  /** Writes the checkpoint and the trainer state (atomically). */
  save: (ck: Checkpoint, state: TrainingState) => void;
  onProgress?: (e: ProgressEvent) => void;
  /** Anything worth telling the user once (a rollback after NaN, ...). */
  onNotice?: (message: string) => void;
  /** When true at a step boundary, the run saves and ends. */
  shouldStop?: () => boolean;
  // defaults: DEFAULTS.intervals (src/defaults.ts)
  progressEveryMs?: number;
  evalEveryMs?: number;      // longer when an evaluation itself is slow (EVAL_SHARE)
  sampleEveryMs?: number;
  saveEveryMs?: number;
  /** Cap on validation characters scored per evaluation (the first streams' prefixes). */
  maxValChars?: number;
  now?: () => number;
}

export interface RunResult {
  reason: 'budget' | 'stopped';
  progress: TrainingProgress;
  valBpc?: number;
}

const MAX_ROLLBACKS = 3;
const every = DEFAULTS.intervals;
/** Validation may take at most this share of a run's time: after an evaluation that took d ms,
 *  the next waits at least d·(1/EVAL_SHARE − 1). On a 2×256 model, scoring 40,000 characters takes
 *  ~2 s, which every 15 s would spend a tenth of the user's budget on curves instead of training. */
export const EVAL_SHARE = 0.05;

export async function runTraining(o: RunOptions): Promise<RunResult> {
  const now = o.now ?? Date.now;
  const t0 = now();
  const startChars = o.progress.charsSeen;
  const startMs = o.progress.elapsedMs;
  const history = o.progress.valBpcHistory.slice();
  const val = capStreams(o.val, o.maxValChars ?? every.maxValChars);
  let last: StepResult | undefined;
  let smoothed = NaN;
  let valBpc = history.length ? history[history.length - 1][1] : undefined;
  let lastProgress = t0, lastEval = t0, lastSample = t0, lastSave = t0;
  let evalGapMs = o.evalEveryMs ?? every.evalEveryMs;
  let good = snapshot(o);   // the last state known to be finite: where a NaN rolls back to
  let rollbacks = 0;
  let sampleCount = 0;

  const progress = (): TrainingProgress => ({
    ...o.progress,
    steps: last?.step ?? o.progress.steps,
    charsSeen: last?.charsSeen ?? o.progress.charsSeen,
    elapsedMs: startMs + (now() - t0),
    valBpcHistory: history,
    epochs: last?.epoch ?? (o.progress.epochs as number | undefined) ?? 0,
  });
  const save = () => {
    o.save(
      { config: o.model.config, train: o.train, vocab: o.vocab, params: o.model.params, training: progress() },
      o.trainer.exportState() as TrainingState,
    );
    lastSave = now();
  };
  const evaluate = () => {
    if (val.length === 0) return;
    const start = now();
    const r = evaluateStreams(o.model, val, { unkId: o.unkId, outOfVocabCodePoints: o.outOfVocabCodePoints });
    if (r.chars > 0) {
      valBpc = r.bits / r.chars;
      history.push([last?.charsSeen ?? startChars, valBpc]);
    }
    lastEval = now();
    evalGapMs = Math.max(o.evalEveryMs ?? every.evalEveryMs, (lastEval - start) * (1 / EVAL_SHARE - 1));
  };
  const budgetFraction = (): number => {
    const f: number[] = [];
    if (o.budget.minutes !== undefined) f.push((now() - t0) / (o.budget.minutes * 60_000));
    if (o.budget.steps !== undefined && last) f.push(last.step / o.budget.steps);
    if (o.budget.epochs !== undefined && last) f.push(last.epoch / o.budget.epochs);
    return f.length ? Math.min(1, Math.max(...f)) : 0;
  };
  const done = (): boolean => budgetFraction() >= 1;

  let reason: RunResult['reason'] = 'budget';
  if (o.budget.steps !== undefined && o.progress.steps >= o.budget.steps) return { reason, progress: progress(), valBpc };
  while (!done()) {
    if (o.shouldStop?.()) { reason = 'stopped'; break; }
    const r = o.trainer.step();
    if (!Number.isFinite(r.lossBits) || !Number.isFinite(r.gradNorm)) {
      // Diverged: go back to the last good state with half the learning rate.
      if (++rollbacks > MAX_ROLLBACKS) {
        throw new LensError({ code: 'diverged', rollbacks: MAX_ROLLBACKS },
          `Training diverged (the loss became NaN) ${MAX_ROLLBACKS} times even after lowering the learning rate.`);
      }
      restore(o, good, 0.5);
      o.onNotice?.(`The loss became NaN at step ${r.step}; rolled back to step ${good.step} and halved the learning rate.`);
      continue;
    }
    last = r;
    smoothed = Number.isNaN(smoothed) ? r.lossBits : 0.95 * smoothed + 0.05 * r.lossBits;
    const t = now();
    if (t - lastEval >= evalGapMs) evaluate();
    if (t - lastSave >= (o.saveEveryMs ?? every.saveEveryMs)) { good = snapshot(o, r.step); save(); }
    let text: string | undefined;
    if (t - lastSample >= (o.sampleEveryMs ?? every.sampleEveryMs)) {
      text = sampleText(o, 200, ++sampleCount);
      lastSample = now();
    }
    if (text !== undefined || t - lastProgress >= (o.progressEveryMs ?? every.progressEveryMs)) {
      emitProgress(text);
      lastProgress = t;
    }
    await yieldToEventLoop();
  }
  evaluate();
  save();
  emitProgress(sampleText(o, 200, ++sampleCount));
  return { reason, progress: progress(), valBpc };

  function emitProgress(text?: string) {
    const elapsed = now() - t0;
    const chars = (last?.charsSeen ?? startChars) - startChars;
    const f = budgetFraction();
    o.onProgress?.({
      kind: 'progress', step: last?.step ?? o.progress.steps, epoch: last?.epoch ?? 0,
      charsSeen: last?.charsSeen ?? startChars, charsPerSecond: elapsed > 0 ? chars / (elapsed / 1000) : 0,
      trainBpc: smoothed, valBpc, elapsedMs: elapsed, fraction: f || undefined,
      etaMs: f > 0 ? Math.max(0, elapsed * (1 - f) / f) : undefined, sample: text, lr: last?.lr ?? o.train.learningRate,
    });
  }
}

interface Snapshot { step: number; params: Float32Array; state: TrainerExport }

function snapshot(o: RunOptions, step = o.progress.steps): Snapshot {
  const state = o.trainer.exportState();
  const tensors: Record<string, Float32Array> = {};
  for (const [k, v] of Object.entries(state.tensors)) tensors[k] = v.slice();
  return { step, params: o.model.params.slice(), state: { tensors, meta: structuredClone(state.meta) } };
}

function restore(o: RunOptions, s: Snapshot, lrFactor: number): void {
  o.model.params.set(s.params);
  const meta = structuredClone(s.state.meta) as { trainer: { lr: number } };
  meta.trainer.lr *= lrFactor;
  s.state.meta = meta;   // later rollbacks start from the lowered rate
  o.trainer.importState({ tensors: s.state.tensors, meta });
}

function sampleText(o: RunOptions, length: number, seed: number): string {
  const ids = sample(o.model, { length, temperature: 0.8, seed });
  let s = '';
  for (const id of ids) if (id !== o.unkId) s += o.vocab[id] ?? '';   // UNK is no character to show
  return s;
}

/** The streams' prefixes, up to maxChars in all (each stream keeps at least 2 characters). */
function capStreams(streams: Int32Array[], maxChars: number): Int32Array[] {
  const out: Int32Array[] = [];
  let left = maxChars;
  for (const s of streams) {
    if (left < 2) break;
    if (s.length < 2) continue;
    const take = Math.min(s.length, left);
    out.push(s.subarray(0, take));
    left -= take;
  }
  return out;
}
