// What the adaptive predictor mixes: components that each give one or more next-character
// distributions over the vocabulary at the current position of a stream, then move past the
// character that came. A component never sees a character before it has predicted it: predict()
// depends only on what update() was given before.
//
// update(id) both learns (an adaptive component counts id, a dynamic LSTM trains on it) and moves
// the position past id. reset() starts a new stream: the position goes back to the start (no
// context), what was learned stays (it carries from stream to stream, as in an editor session).
import type { Stepper } from '../../engine/stepper';

export interface NextCharComponent {
  /** Short name, as the CLI's per-component bits and ablation flags spell it. */
  readonly name: string;
  /** How many distributions predict() writes. */
  readonly outputs: number;
  /** Writes `outputs` distributions (V probabilities each, summing to 1) into out[0..outputs). */
  predict(out: Float32Array[]): void;
  /** The character that came: learn from it and move past it. */
  update(id: number): void;
  /** The start of a new stream (no context); learned state is kept. */
  reset(): void;
  /** Moves past id without learning from it (a decoder trying a continuation). */
  advance(id: number): void;
  /** The position (the context), to come back to with restore(); learned state is not in it. */
  save(): unknown;
  restore(position: unknown): void;
  /** Which of the outputs stands for the component on its own (its bits are reported). */
  readonly summary?: number;
}

/** The LSTM's side of the interface: the plain Stepper has it, and so does a dynamically evaluated
 *  LSTM (probs, feed, reset). */
export interface LstmLike {
  /** The next-character distribution (V probabilities) into out. */
  probs(out: Float32Array): void;
  /** Moves past id (a dynamically evaluated LSTM also learns from it). */
  feed(id: number): void;
  reset(): void;
  /** The recurrent state, and back to it: what a decoder needs to look ahead. */
  saveState(): Float32Array;
  loadState(s: Float32Array): void;
  /** Moves past id without learning (a frozen LSTM: feed). */
  step?(id: number): void;
}

/** The frozen Stepper as an LstmLike (its softmax at temperature 1). */
export function stepperLstm(stepper: Stepper): LstmLike {
  return {
    probs: (out) => { stepper.probs(1, out); }, feed: (id) => stepper.feed(id), reset: () => stepper.reset(),
    saveState: () => stepper.saveState(), loadState: (s) => stepper.loadState(s),
  };
}

/** A char-LSTM as a component: its softmax, one output. Any LstmLike plugs in (the frozen Stepper
 *  today; a DynamicLstm that keeps learning as it reads, when the integrator drops one in). */
export class LstmComponent implements NextCharComponent {
  readonly name = 'lstm';
  readonly outputs = 1;
  constructor(readonly lstm: LstmLike) {}
  predict(out: Float32Array[]): void { this.lstm.probs(out[0]); }
  update(id: number): void { this.lstm.feed(id); }
  reset(): void { this.lstm.reset(); }
  advance(id: number): void { if (this.lstm.step) this.lstm.step(id); else this.lstm.feed(id); }
  save(): Float32Array { return this.lstm.saveState(); }
  restore(position: unknown): void { this.lstm.loadState(position as Float32Array); }
}
