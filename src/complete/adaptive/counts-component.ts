// Count models: the corpus n-gram (Kneser-Ney, counted from the training text, frozen) and
// adaptive counts of the stream read so far at several orders, each counted right after it is
// scored (no lag). Each stream order k gives a distribution that backs off to the order below it,
// as PPM's blending does, with absolute discounting (d = DISCOUNT):
//
//   q_0(s) = the corpus n-gram's p(s | context), or 1/V without one
//   q_k(s) = max(c_k(s) − d, 0) / n_k  +  (d · u_k / n_k) · q_{k−1}(s)     (n_k > 0)
//   q_k    = q_{k−1}                                                       (context never seen)
//
// c_k(s): times s followed the last k characters, n_k = Σ_s c_k(s), u_k: distinct followers.
// The mixer gets every q_k (and the corpus n-gram's): it learns how far to trust each order, with
// weights chosen by the highest order that has counts (see `highest`), as PAQ's mixers are.
// Contexts before the start of a stream are padded with BOS (id V), so a file's first
// characters are a context of their own.
import type { CharNGram } from '../ngram';
import type { NextCharComponent } from './component';
import { HashedCounts } from './hashed-counts';

export const DEFAULT_ORDERS: readonly number[] = [2, 3, 4, 6, 8, 12, 16, 24];
const DISCOUNT = 0.5;

export interface CountsOptions {
  /** The frozen corpus counts (null: none, the orders back off to uniform). */
  corpus: CharNGram | null;
  /** Context lengths of the adaptive stream counts, increasing (empty: none). */
  orders?: readonly number[];
  /** The count table holds 2^tableBits slots of 32 bytes (default 20: 32 MiB). */
  tableBits?: number;
  /** Which stream orders' distributions are outputs: every one, or the highest only (default). */
  expose?: 'every' | 'top';
}

export class CountsComponent implements NextCharComponent {
  readonly name = 'counts';
  readonly outputs: number;
  readonly summary: number;
  readonly orders: readonly number[];
  /** After predict(): how many stream orders had counts for this context (0..orders.length). */
  highest = 0;
  /** After predict(): whether the highest order with counts has seen one follower only. */
  deterministic = false;
  /** After predict(): the corpus n-gram's longest context with counts (0..its order; 0 without). */
  corpusOrder = 0;

  private readonly corpus: CharNGram | null;
  private readonly table: HashedCounts | null;
  private readonly maxOrder: number;
  private readonly keep: number;                 // context the corpus n-gram reads: order − 1
  private readonly hist: Int32Array;             // ids read, BOS-padded; the last `span` matter
  private histLen = 0;
  private readonly span: number;
  private readonly hashes: Int32Array;           // (orders) hash of each order's context
  private readonly syms = new Int32Array(16);
  private readonly counts = new Int32Array(16);
  private readonly base: Float32Array;           // (V) q_0
  private readonly at: number;                   // first output of the stream orders

  constructor(readonly V: number, opts: CountsOptions) {
    const orders = opts.orders ?? DEFAULT_ORDERS;
    for (let i = 0; i < orders.length; i++) {
      if (!Number.isInteger(orders[i]) || orders[i] < 1 || orders[i] > 64 || (i > 0 && orders[i] <= orders[i - 1])) {
        throw new Error(`The count orders must be increasing integers from 1 to 64, not ${orders.join(', ')}.`);
      }
    }
    if (opts.corpus && opts.corpus.vocabSize !== V) throw new Error(`The corpus counts are over ${opts.corpus.vocabSize} characters, not the model's ${V}.`);
    this.corpus = opts.corpus;
    this.orders = [...orders];
    this.at = this.corpus ? 1 : 0;
    this.every = (opts.expose ?? 'top') === 'every';
    this.outputs = this.at + (orders.length === 0 ? 0 : this.every ? orders.length : 1);
    if (this.outputs === 0) throw new Error('The count component needs the corpus counts or at least one stream order.');
    this.summary = this.outputs - 1;
    this.table = orders.length ? new HashedCounts(opts.tableBits ?? 20) : null;
    this.maxOrder = orders.length ? orders[orders.length - 1] : 0;
    this.keep = this.corpus ? this.corpus.order - 1 : 0;
    this.span = Math.max(this.maxOrder, this.keep);
    this.hist = new Int32Array(this.span + 4096);
    this.hashes = new Int32Array(orders.length);
    this.base = new Float32Array(V);
    this.chain = [new Float32Array(V), new Float32Array(V)];
    this.reset();
  }

  private readonly every: boolean;
  private readonly chain: Float32Array[];        // the orders' distributions when not all are outputs

  get memoryBytes(): number { return this.table?.memoryBytes ?? 0; }

  /** Forgets the stream counts (the corpus counts are never changed). */
  clearCounts(): void { this.table?.clear(); }

  reset(): void {
    this.hist.fill(this.V, 0, this.span);
    this.histLen = this.span;
  }

  predict(out: Float32Array[]): void {
    const V = this.V, q0 = this.corpus ? out[0] : this.base;
    if (this.corpus) {
      // the n-gram pads the start of a text itself: give it only what was read
      const n = Math.min(this.keep, this.realLength());
      this.corpus.predict(this.hist.subarray(this.histLen - n, this.histLen), n, q0);
      this.corpusOrder = this.corpus.matchOrder;
    } else q0.fill(1 / V);
    this.highest = 0;
    this.deterministic = false;
    if (!this.table) return;
    this.hashContexts();
    let below = q0;
    for (let k = 0; k < this.orders.length; k++) {
      const q = this.every ? out[this.at + k] : k === this.orders.length - 1 ? out[this.at] : this.chain[k & 1];
      const s = this.table.find(this.hashes[k]);
      const m = s < 0 ? 0 : this.table.followers(s, this.syms, this.counts);
      let n = 0;
      for (let i = 0; i < m; i++) n += this.counts[i];
      if (n === 0) { if (q !== below) q.set(below.subarray(0, V)); below = q; continue; }
      const esc = (DISCOUNT * m) / n;
      for (let v = 0; v < V; v++) q[v] = esc * below[v];
      for (let i = 0; i < m; i++) q[this.syms[i]] += Math.max(this.counts[i] - DISCOUNT, 0) / n;
      this.highest = k + 1;
      this.deterministic = m === 1;
      below = q;
    }
  }

  update(id: number): void {
    if (this.table) {
      this.hashContexts();
      for (let k = 0; k < this.orders.length; k++) this.table.add(this.table.claim(this.hashes[k]), id);
    }
    this.advance(id);
  }

  advance(id: number): void {
    if (this.histLen === this.hist.length) {
      this.hist.copyWithin(0, this.histLen - this.span, this.histLen);
      this.histLen = this.span;
    }
    this.hist[this.histLen++] = id;
  }

  /** The last ids read (the context every order and the corpus n-gram read). */
  save(): Int32Array {
    return this.hist.slice(this.histLen - this.span, this.histLen);
  }

  restore(position: unknown): void {
    const p = position as Int32Array;
    if (!(p instanceof Int32Array) || p.length !== this.span) throw new Error('restore: not a position of this count model.');
    this.hist.set(p);
    this.histLen = this.span;
  }

  /** The ids read in this stream that are still in the buffer (the BOS padding not counted). */
  private realLength(): number {
    let n = 0;
    while (n < this.keep && this.hist[this.histLen - 1 - n] !== this.V) n++;
    return n;
  }

  /** hashes[k] = a hash of (orders[k], the last orders[k] ids). */
  private hashContexts(): void {
    const h = this.hist, end = this.histLen, orders = this.orders;
    let x = 0x9e3779b1 | 0, k = 0;
    for (let j = 1; j <= this.maxOrder; j++) {
      x = Math.imul(x ^ (h[end - j] + 1), 0x01000193) ^ (x >>> 13);
      if (j === orders[k]) { this.hashes[k] = Math.imul(x ^ j, 0x9e3779b1) ^ (x >>> 16); k++; }
    }
  }
}
