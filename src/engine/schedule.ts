// The learning rate of a run that knows its budget: a linear warm-up over the first steps, then a
// decay from the peak to a floor that lands exactly when the budget ends.
//
//   f  in [0, 1]   the share of this run's budget spent when the step ends (time, steps or
//                  epochs, whichever is furthest along: run-loop.ts measures it)
//   s  >= 0        optimizer steps this run has taken before the step about to run
//
//   warm(s)   = min(1, (s + 1) / warmupSteps)                      (1 when warmupSteps = 0)
//   decay(f)  = floor + (1 − floor)·½(1 + cos πf)      'cosine'
//             = floor + (1 − floor)·(1 − f)             'linear'
//             = 1                                        'constant' (the Trainer's own lrDecay applies)
//   lr(f, s)  = peak · warm(s) · decay(f)
//
// So lr(1, s ≥ warmupSteps) = peak·floor: the floor is reached when the budget is, whatever
// the budget's unit. A resumed run passes its own f and s (counted from its own start): a new
// budget is a new schedule, from the weights it resumes.
import type { TrainConfig } from './config';

export type ScheduleName = 'constant' | 'cosine' | 'linear';

export interface Schedule {
  name: ScheduleName;
  peak: number;          // the learning rate at the top (TrainConfig.learningRate)
  warmupSteps: number;   // steps of linear warm-up at the start of each run (0: none)
  floor: number;         // the final rate as a share of the peak, in (0, 1]
}

export function scheduleOf(cfg: TrainConfig): Schedule {
  return { name: cfg.schedule, peak: cfg.learningRate, warmupSteps: cfg.warmupSteps, floor: cfg.lrFloor };
}

/** The learning rate of the next step, or undefined for 'constant' (the Trainer keeps its own). */
export function scheduledLr(s: Schedule, fraction: number, stepsThisRun: number): number | undefined {
  if (s.name === 'constant') return undefined;
  const f = Math.min(1, Math.max(0, fraction));
  const warm = s.warmupSteps > 0 ? Math.min(1, (stepsThisRun + 1) / s.warmupSteps) : 1;
  const shape = s.name === 'cosine' ? 0.5 * (1 + Math.cos(Math.PI * f)) : 1 - f;
  return s.peak * warm * (s.floor + (1 - s.floor) * shape);
}
