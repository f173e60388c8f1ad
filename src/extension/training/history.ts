// What the Training panel shows, kept while the window lives so that a panel opened (or
// reloaded) mid-run draws the whole curve: train/validation bits per char against characters
// seen, and the samples, newest first. No vscode import.
import type { PanelFileGroup, PanelSample, PanelSnapshot, PanelStatus } from './panel-messages';

const MAX_POINTS = 4000;
const MAX_SAMPLES = 30;

export class TrainingHistory {
  train: [number, number][] = [];
  val: [number, number][] = [];
  samples: PanelSample[] = [];
  status: PanelStatus = { state: 'no model', lines: [] };
  /** The files of the last corpus read; kept across runs and models until the next corpus. */
  files: PanelFileGroup[] = [];

  /** Starts over from a stored model's validation history (or nothing). */
  reset(valHistory: [number, number][] = []): void {
    this.train = [];
    this.val = valHistory.slice();
    this.samples = [];
  }

  /** A run resumed the model at `charsSeen`: its validation history is the model's, and the train
   *  curve drawn so far in this window goes on up to where the model is (points past it were of
   *  steps the model on disk does not have, as when validation kept an earlier one). */
  resume(valHistory: [number, number][], charsSeen: number): void {
    this.train = this.train.filter(([x]) => x <= charsSeen);
    this.val = valHistory.slice();
    this.samples = [];
  }

  /** Adds a training point; returns whether it was new (charsSeen moved on). */
  addTrain(charsSeen: number, bpc: number): boolean {
    if (!Number.isFinite(bpc)) return false;
    const last = this.train[this.train.length - 1];
    if (last && last[0] >= charsSeen) return false;
    this.train.push([charsSeen, bpc]);
    if (this.train.length > MAX_POINTS) this.train = this.train.filter((_, i) => i % 2 === 0);   // halve the density, keep the span
    return true;
  }

  /** Progress messages repeat the latest validation score: a new score is a new evaluation. */
  addVal(charsSeen: number, bpc: number): boolean {
    if (!Number.isFinite(bpc)) return false;
    const last = this.val[this.val.length - 1];
    if (last && last[1] === bpc) return false;
    this.val.push([charsSeen, bpc]);
    return true;
  }

  addSample(sample: PanelSample): void {
    this.samples.unshift(sample);
    if (this.samples.length > MAX_SAMPLES) this.samples.length = MAX_SAMPLES;
  }

  snapshot(): PanelSnapshot {
    return { train: this.train.slice(), val: this.val.slice(), samples: this.samples.slice(), status: this.status, files: this.files };
  }
}
