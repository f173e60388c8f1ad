// SSE (secondary symbol estimation) / APM (adaptive probability map), as in PAQ and lpaq: a
// learned map from a probability (and a small context) to a better-calibrated one. The map of each
// context is a piecewise-linear function of stretch(p) = ln(p / (1 − p)), with BUCKETS knots
// evenly spaced over [−S_MAX, S_MAX], starting as the identity; refine(p) interpolates between the
// two knots around stretch(p), and update(y) moves both toward y (1: the event happened) in
// proportion to their interpolation weights.
//
// SseStage applies it to a V-ary distribution the way a binary coder would see it: the event is
// "the next character is c" for one candidate c (the mixture's most likely character, and the
// match model's prediction), and the distribution is rescaled so that c gets the refined
// probability, the others sharing the rest in their proportions. The refined probability is
// (p + 3·apm(p)) / 4, as PAQ averages an APM with its input.

const BUCKETS = 33;
const S_MAX = 8;
const STEP = (2 * S_MAX) / (BUCKETS - 1);

export class Apm {
  /** (contexts, BUCKETS) probabilities at the knots (what is saved). */
  readonly table: Float32Array;
  rate = 0.02;
  private lo = -1;          // the last refine's knot and weight of the upper one
  private wHi = 0;

  constructor(readonly contexts: number) {
    if (!Number.isInteger(contexts) || contexts < 1 || contexts > 1 << 20) throw new Error(`An APM needs 1 to 2^20 contexts, not ${contexts}.`);
    this.table = new Float32Array(contexts * BUCKETS);
    for (let c = 0; c < contexts; c++) for (let i = 0; i < BUCKETS; i++) this.table[c * BUCKETS + i] = squash((i - (BUCKETS - 1) / 2) * STEP);
  }

  /** The map of context ctx at p. Remembers where, for update(). */
  refine(p: number, ctx: number): number {
    if (!(ctx >= 0 && ctx < this.contexts)) throw new RangeError(`refine: context ${ctx} is outside 0..${this.contexts - 1}.`);
    const s = clamp(stretch(p), -S_MAX, S_MAX - 1e-9);
    const x = (s + S_MAX) / STEP, i = Math.floor(x);
    this.lo = ctx * BUCKETS + i;
    this.wHi = x - i;
    return this.table[this.lo] * (1 - this.wHi) + this.table[this.lo + 1] * this.wHi;
  }

  /** The event of the last refine happened (y = 1) or not (y = 0). */
  update(y: number): void {
    if (this.lo < 0) return;
    const t = this.table, r = this.rate;
    t[this.lo] += (y - t[this.lo]) * r * (1 - this.wHi);
    t[this.lo + 1] += (y - t[this.lo + 1]) * r * this.wHi;
    this.lo = -1;
  }
}

/** Two APMs over a V-ary distribution: one on its most likely character (context: ctxTop), one
 *  on the match model's prediction when there is one (context: ctxMatch). */
export class SseStage {
  readonly top: Apm;
  readonly match: Apm;
  private cTop = -1;
  private cMatch = -1;

  constructor(topContexts: number, matchContexts: number) {
    this.top = new Apm(topContexts);
    this.match = new Apm(matchContexts);
  }

  /** Refines q (V probabilities, summing to 1, most likely at `best`) in place. */
  apply(q: Float32Array, V: number, best: number, ctxTop: number, predicted: number, ctxMatch: number): void {
    this.cTop = best;
    rescale(q, V, best, mean(q[best], this.top.refine(q[best], ctxTop)));
    this.cMatch = predicted;
    if (predicted >= 0) rescale(q, V, predicted, mean(q[predicted], this.match.refine(q[predicted], ctxMatch)));
  }

  /** The character that came. */
  update(id: number): void {
    if (this.cTop >= 0) this.top.update(id === this.cTop ? 1 : 0);
    if (this.cMatch >= 0) this.match.update(id === this.cMatch ? 1 : 0);
    this.cTop = -1; this.cMatch = -1;
  }
}

function mean(p: number, refined: number): number {
  return (p + 3 * refined) / 4;
}

/** Sets q[c] to p (clamped inside (0, 1)), scaling the others to keep the sum at 1. */
function rescale(q: Float32Array, V: number, c: number, p: number): void {
  p = clamp(p, 1e-6, 1 - 1e-6);
  const rest = 1 - q[c];
  if (rest <= 1e-12) { q.fill((1 - p) / (V - 1), 0, V); q[c] = p; return; }
  const f = (1 - p) / rest;
  for (let s = 0; s < V; s++) q[s] *= f;
  q[c] = p;
}

export function stretch(p: number): number {
  p = clamp(p, 1e-9, 1 - 1e-9);
  return Math.log(p / (1 - p));
}

export function squash(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}
