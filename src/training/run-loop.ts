// One training run, the same for the CLI and the extension's training worker: a trainer
// stepping through the text until a budget runs out or it is asked to stop, with validation,
// samples, periodic atomic checkpoints and recovery from a diverged (NaN) step.
//
// The recipe the run owns (the maths of each step is the Trainer's):
//   - the learning rate follows a schedule over THIS run's budget (engine/schedule.ts): warm-up,
//     then down to the floor exactly when the budget ends; a run resumed with a new budget
//     starts a new one from the weights (resumed with the same step budget, it goes on);
//   - validation decides which model is kept: the file on disk is the best scored so far
//     (a resumed run first scores the stored model, so a worse run never overwrites it).
//     Without validation text, the latest model is saved.
//
// It yields to the event loop between steps, so that a signal (Ctrl-C) or a worker message
// ("stop") is seen within one step.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Checkpoint, TrainingProgress, TrainingState } from '../engine/checkpoint';
import type { ModelConfig, TrainConfig } from '../engine/config';
import { evaluateStreams } from '../engine/eval';
import type { CharRNN } from '../engine/model';
import { sample } from '../engine/sample';
import { scheduledLr, scheduleOf } from '../engine/schedule';
import type { StepResult, TrainerExport } from '../engine/trainer';
import { DEFAULTS } from '../defaults';
import { LensError } from '../errors';

/** What the run needs of a trainer: the single-thread Trainer and the data-parallel one both fit. */
export interface StepTrainer {
  step(): StepResult;
  /** The learning rate of the next step. */
  setLearningRate(lr: number): void;
  /** Counters from a checkpoint resumed without optimizer state (Trainer.continueFrom). */
  continueFrom(p: { steps: number; charsSeen: number; epochs?: number }): void;
  /** Optimizer steps per pass over the text (for an epoch budget's schedule). */
  readonly stepsPerEpoch: number;
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
  /** The resumed model's figures were measured on other validation text: its score on this one
   *  starts its history anew and is written at the first save (with progress's record of the text). */
  valChanged?: boolean;
  now?: () => number;
}

export interface RunResult {
  reason: 'budget' | 'stopped';
  /** Where the run got to (its last step). */
  progress: TrainingProgress;
  /** Validation bits/char of the model kept on disk. */
  valBpc?: number;
  /** The model kept on disk, when validation chose it: its step and score. */
  kept?: { step: number; valBpc: number };
  /** The last validation score of the run (of its last model, when that is not the kept one). */
  lastValBpc?: number;
}

/** A copy of the model and its trainer, with the progress and score it had then. */
interface Kept { params: Float32Array; state: TrainerExport; progress: TrainingProgress; valBpc: number; onDisk: boolean }

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
  let kept: Kept | undefined;   // the best model by validation (val.length > 0 only)
  const schedule = scheduleOf(o.train);
  let lrScale = 1;              // halved by each NaN rollback
  let lastStepMs = 0;           // how long the last step took
  // Where this run's schedule began: here, unless it resumes a run of the very same step or epoch
  // budget (stopped and resumed: the schedule goes on, and so the run ends as if never stopped).
  const carried = o.progress.schedule as TrainingProgress['schedule'];
  const sameBudget = carried !== undefined && o.budget.minutes === undefined && (o.budget.steps !== undefined || o.budget.epochs !== undefined) &&
    carried.steps === o.budget.steps && carried.epochs === o.budget.epochs;
  const scheduleStart = sameBudget ? carried.startStep : o.progress.steps;

  const progress = (): TrainingProgress => ({
    ...o.progress,
    steps: last?.step ?? o.progress.steps,
    charsSeen: last?.charsSeen ?? o.progress.charsSeen,
    elapsedMs: startMs + (now() - t0),
    valBpcHistory: history,
    epochs: last?.epoch ?? (o.progress.epochs as number | undefined) ?? 0,
    schedule: o.budget.minutes === undefined ? { startStep: scheduleStart, steps: o.budget.steps, epochs: o.budget.epochs } : undefined,
  });
  const write = (params: Float32Array, state: TrainerExport, training: TrainingProgress) => {
    o.save({ config: o.model.config, train: o.train, vocab: o.vocab, params, training }, state as TrainingState);
    lastSave = now();
  };
  /** Writes the kept model if it is not on disk yet; without validation, the current one. */
  const save = () => {
    if (val.length === 0) write(o.model.params, o.trainer.exportState(), progress());
    else if (kept && !kept.onDisk) { write(kept.params, kept.state, kept.progress); kept.onDisk = true; }
    else lastSave = now();
  };
  const score = (): number | undefined => {
    const r = evaluateStreams(o.model, val, { unkId: o.unkId, outOfVocabCodePoints: o.outOfVocabCodePoints });
    return r.chars > 0 ? r.bits / r.chars : undefined;
  };
  /** Scores the model now; a new best becomes the kept model (copied, written at the next save). */
  const evaluate = () => {
    if (val.length === 0) return;
    const start = now();
    const bpc = score();
    if (bpc !== undefined) {
      valBpc = bpc;
      history.push([last?.charsSeen ?? startChars, bpc]);
      if (Number.isFinite(bpc) && (!kept || bpc < kept.valBpc)) keep(bpc, false);
    }
    lastEval = now();
    evalGapMs = Math.max(o.evalEveryMs ?? every.evalEveryMs, (lastEval - start) * (1 / EVAL_SHARE - 1));
  };
  const keep = (bpc: number, onDisk: boolean) => {
    const s = snapshot(o);
    kept = { params: s.params, state: s.state, progress: { ...progress(), valBpcHistory: history.slice() }, valBpc: bpc, onDisk };
  };
  const budgetFraction = (): number => {
    const f: number[] = [];
    if (o.budget.minutes !== undefined) f.push((now() - t0) / (o.budget.minutes * 60_000));
    if (o.budget.steps !== undefined && last) f.push(last.step / o.budget.steps);
    if (o.budget.epochs !== undefined && last) f.push(last.epoch / o.budget.epochs);
    return f.length ? Math.min(1, Math.max(...f)) : 0;
  };
  const done = (): boolean => budgetFraction() >= 1;
  /** The share of the schedule's budget that will have been spent when the next step ends (so
   *  the last step of a budget runs at the floor), counted from the schedule's start. Time looks
   *  one step ahead by the last step's duration; an epoch budget counts steps (epochs × steps
   *  per epoch), so that its schedule is smooth. */
  const scheduleFraction = (): number => {
    const next = (last?.step ?? o.progress.steps) - scheduleStart + 1;
    const f: number[] = [];
    if (o.budget.minutes !== undefined) f.push((now() - t0 + lastStepMs) / (o.budget.minutes * 60_000));
    if (o.budget.steps !== undefined) f.push(next / Math.max(1, o.budget.steps - scheduleStart));
    if (o.budget.epochs !== undefined) f.push(next / Math.max(1, o.budget.epochs * o.trainer.stepsPerEpoch - scheduleStart));
    return f.length ? Math.min(1, Math.max(...f)) : 0;
  };
  const setScheduledLr = () => {
    const lr = scheduledLr(schedule, scheduleFraction(), (last?.step ?? o.progress.steps) - scheduleStart);
    if (lr !== undefined) o.trainer.setLearningRate(lr * lrScale);
  };

  let reason: RunResult['reason'] = 'budget';
  if (o.budget.steps !== undefined && o.progress.steps >= o.budget.steps) return { reason, progress: progress(), valBpc };
  // A resumed model is the one to beat: the file on disk holds it already.
  if (o.progress.steps > 0 && val.length > 0) {
    const bpc = score();
    if (bpc !== undefined && Number.isFinite(bpc)) {
      if (o.valChanged) history.push([startChars, bpc]);
      keep(bpc, !o.valChanged);
    }
  }
  while (!done()) {
    if (o.shouldStop?.()) { reason = 'stopped'; break; }
    setScheduledLr();
    const stepStart = now();
    const r = o.trainer.step();
    lastStepMs = now() - stepStart;
    if (!Number.isFinite(r.lossBits) || !Number.isFinite(r.gradNorm)) {
      // Diverged: go back to the last good state with half the learning rate.
      if (++rollbacks > MAX_ROLLBACKS) {
        throw new LensError({ code: 'diverged', rollbacks: MAX_ROLLBACKS },
          `Training diverged (the loss became NaN) ${MAX_ROLLBACKS} times even after lowering the learning rate.`);
      }
      restore(o, good, 0.5);
      lrScale *= 0.5;
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
  if (!kept) return { reason, progress: progress(), valBpc };
  const final = kept as Kept;   // (narrowed for the closure-assigned variable)
  // each interface says which model it kept (the CLI in a line, the editor in its ending message)
  return { reason, progress: progress(), valBpc: final.valBpc, lastValBpc: valBpc, kept: { step: final.progress.steps, valBpc: final.valBpc } };

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
