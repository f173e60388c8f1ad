// The match model (as in PAQ's MatchModel and lpaq): the longest earlier occurrence of the current
// context in the text read so far (this stream, the streams before it, and any reference text
// added), predicting the character that followed it. When a match is on, its prediction is the
// next character of the earlier occurrence; each right guess lengthens the match, a wrong one ends
// it and the next lookup starts a new one from a hash of the last MIN_LEN characters (verified
// against the text, so a hash collision never starts a false match).
//
// Confidence is learned: an adaptive table from the match length bucket to P(the predicted
// character is right), each entry a probability moved toward what happened by 1/(n + 1.5) of the
// difference (n = times used, capped at LIMIT: a running average that keeps adapting). Output:
// p at the predicted character, (1 − p)/(V − 1) at each other; with no match, uniform.
//
// continuation(n) gives the run of characters that followed the earlier occurrence, for a
// decoder that proposes it whole, up to the end of that occurrence's stream (what came after it
// in the history is another stream's start, not what followed: in the editor, an earlier
// document's text stops at its cursor).
import type { NextCharComponent } from './component';

/** Characters a lookup matches at least. */
export const MIN_LEN = 6;
/** Length buckets of the confidence table and the mixer context: 0 (no match), 1..15. */
export const MATCH_BUCKETS = 16;
const LIMIT = 255;
const MAX_VERIFY = 400;

/** The length bucket of a match of `len` characters (0: none). */
export function matchBucket(len: number): number {
  if (len === 0) return 0;
  if (len < 16) return Math.min(len >> 1, 7) + 1;            // 1..8 for 1..15
  return Math.min(15, 9 + Math.floor(Math.log2(len / 16)));  // 9..15 for 16, 32, … 1024+
}

interface MatchPosition { ptr: number; len: number; n: number; ahead: number }

export class MatchModel implements NextCharComponent {
  readonly name = 'match';
  readonly outputs = 1;
  /** After predict(): the predicted character (−1: no match) and the match's length. */
  predicted = -1;
  length = 0;
  /** After predict(): P(predicted is right), from the confidence table. */
  confidence = 0;

  private hist: Int32Array;          // every id read or added
  private n = 0;                     // ids in hist
  private streamStart = 0;           // where the current stream begins in hist
  private starts: number[] = [];     // where each stream after the first began in hist, ascending
  private readonly heads: Int32Array;   // hash of MIN_LEN ids → 1 + the position of the id that followed them last (0: none)
  private readonly hashMask: number;
  private ptr = 0;                   // the match: hist[ptr] is the predicted id (when len > 0)
  private len = 0;
  private ahead = 0;                 // ids advance()d past since the text read ended
  /** (MATCH_BUCKETS, 2) P(right) and times used, per length bucket (what is saved). */
  readonly confidenceTable: Float64Array;
  private readonly maxHistory: number;

  constructor(readonly V: number, opts: { hashBits?: number; maxHistory?: number } = {}) {
    const bits = opts.hashBits ?? 22;
    this.heads = new Int32Array(1 << bits);
    this.hashMask = (1 << bits) - 1;
    this.maxHistory = opts.maxHistory ?? 1 << 24;   // 64 MiB of history at most
    this.hist = new Int32Array(1 << 16);
    this.confidenceTable = new Float64Array(MATCH_BUCKETS * 2);
    for (let b = 1; b < MATCH_BUCKETS; b++) this.confidenceTable[2 * b] = 1 - 1 / (b + 2);
  }

  get memoryBytes(): number { return this.hist.byteLength + this.heads.byteLength; }

  reset(): void {
    this.len = 0;
    this.ahead = 0;
    this.streamStart = this.n;
    if (this.n > 0 && this.starts[this.starts.length - 1] !== this.n) this.starts.push(this.n);
  }

  /** Forgets the text read (the confidence table stays). */
  clearHistory(): void {
    this.n = 0; this.streamStart = 0; this.len = 0; this.ahead = 0; this.starts = [];
    this.heads.fill(0);
  }

  /** Reference text (another document, the corpus): searchable by later matches, not predicted. */
  addText(ids: Int32Array): void {
    this.reset();
    for (let i = 0; i < ids.length; i++) this.append(ids[i]);
    this.len = 0;
    this.reset();
  }

  predict(out: Float32Array[]): void {
    const o = out[0], V = this.V;
    if (this.len === 0 && this.ahead === 0) this.lookup();
    if (this.len === 0) {
      this.predicted = -1; this.length = 0; this.confidence = 0;
      o.fill(1 / V, 0, V);
      return;
    }
    const b = matchBucket(this.len);
    const p = this.confidenceTable[2 * b];
    this.predicted = this.hist[this.ptr];
    this.length = this.len;
    this.confidence = p;
    o.fill((1 - p) / (V - 1), 0, V);
    o[this.predicted] = p;
  }

  update(id: number): void {
    if (this.ahead > 0) throw new Error('update() after advance(): restore() the position first (a decoder\'s guesses are not text read).');
    if (this.len > 0) {
      const b = matchBucket(this.len), right = this.hist[this.ptr] === id ? 1 : 0;
      const uses = this.confidenceTable[2 * b + 1];
      this.confidenceTable[2 * b] += (right - this.confidenceTable[2 * b]) / (uses + 1.5);
      if (uses < LIMIT) this.confidenceTable[2 * b + 1] = uses + 1;
      if (right) { this.len++; this.ptr++; } else this.len = 0;
    }
    this.append(id);
  }

  /** Moves past id without learning or recording it: the match goes on if id is what it
   *  predicted, else it ends (and no new one starts until the position is restored). */
  advance(id: number): void {
    if (this.len > 0 && this.hist[this.ptr] === id && this.ptr + 1 < this.n) { this.ptr++; this.len++; } else this.len = 0;
    this.ahead++;
  }

  save(): MatchPosition {
    return { ptr: this.ptr, len: this.len, n: this.n, ahead: this.ahead };
  }

  restore(position: unknown): void {
    const p = position as MatchPosition;
    if (!p || p.n !== this.n) throw new Error('restore: not a position of this match model (text was read since).');
    this.ptr = p.ptr; this.len = p.len; this.ahead = p.ahead;
  }

  /** Up to `max` ids that followed the earlier occurrence (what the match predicts from here on);
   *  empty with no match. Call after predict(). */
  continuation(max: number): Int32Array {
    if (this.len === 0) return new Int32Array(0);
    const end = Math.min(this.n, this.ptr + max, this.streamEndAfter(this.ptr));
    return this.hist.slice(this.ptr, end);
  }

  private append(id: number): void {
    if (this.n === this.maxHistory) {
      // full: drop the older half (positions move; the hash heads are rebuilt)
      const keep = this.maxHistory >> 1, drop = this.n - keep;
      this.hist.copyWithin(0, drop, this.n);
      this.n = keep;
      this.ptr = Math.max(0, this.ptr - drop);
      if (this.ptr === 0) this.len = 0;
      this.streamStart = Math.max(0, this.streamStart - drop);
      this.starts = this.starts.map((x) => x - drop).filter((x) => x > 0);
      this.heads.fill(0);
      for (let i = MIN_LEN; i < this.n; i++) this.heads[this.hashAt(i)] = i + 1;
    }
    if (this.n === this.hist.length) {
      const h = new Int32Array(Math.min(this.maxHistory, this.hist.length * 2));
      h.set(this.hist);
      this.hist = h;
    }
    // the context before this id now points at it (a lookup finds only earlier positions)
    this.hist[this.n] = id;
    if (this.n - this.streamStart >= MIN_LEN) this.heads[this.hashAt(this.n)] = this.n + 1;
    this.n++;
  }

  /** The first stream start at or after position p (n when none). */
  private streamEndAfter(p: number): number {
    const st = this.starts;
    let lo = 0, hi = st.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (st[mid] < p) lo = mid + 1; else hi = mid; }
    return lo < st.length ? st[lo] : this.n;
  }

  /** A hash of the MIN_LEN ids before position `end`. */
  private hashAt(end: number): number {
    let x = 0;
    for (let j = end - MIN_LEN; j < end; j++) x = Math.imul(x ^ (this.hist[j] + 1), 0x2c1b3c6d) ^ (x >>> 15);
    return (x ^ (x >>> 11)) & this.hashMask;
  }

  /** Starts a match from the last MIN_LEN ids of this stream, if they occurred before. */
  private lookup(): void {
    if (this.n - this.streamStart < MIN_LEN) return;
    const cand = this.heads[this.hashAt(this.n)] - 1;
    if (cand < MIN_LEN || cand >= this.n) return;
    let len = 0;
    while (len < MAX_VERIFY && cand - 1 - len >= 0 && this.hist[cand - 1 - len] === this.hist[this.n - 1 - len]) len++;
    if (len < MIN_LEN) return;
    this.ptr = cand;
    this.len = len;
  }
}
