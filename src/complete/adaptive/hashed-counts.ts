// A bounded table of follower counts per context, the contexts known by a 32-bit hash (as the
// count models of PAQ and PPM keep theirs in a fixed memory): each slot holds a check word and up to
// ENTRIES (symbol, count) pairs. A context lives in slot i or its neighbour i ^ 1 (two-way); a new
// context takes the one of the two with fewer counts. A follower is counted up to COUNT_CAP, then
// every count of its slot is halved (so the counts track recent text: code drifts between files).
// A slot full of followers gives the least counted one's place to a newcomer.
//
// Layout: words (2^bits · SLOT_WORDS) uint32; slot s at s·SLOT_WORDS: [check, e_1 … e_ENTRIES],
// e = (symbol + 1) << 16 | count, 0 = empty.

export const ENTRIES = 7;
const SLOT_WORDS = ENTRIES + 1;
/** A count that reaches this halves its slot. */
export const COUNT_CAP = 255;

export class HashedCounts {
  readonly bits: number;
  private readonly words: Uint32Array;
  private readonly mask: number;          // slot index mask

  constructor(bits: number) {
    if (!Number.isInteger(bits) || bits < 4 || bits > 26) throw new Error(`The count table's size must be 2^4 to 2^26 slots, not 2^${bits}.`);
    this.bits = bits;
    this.mask = (1 << bits) - 1;
    this.words = new Uint32Array((1 << bits) * SLOT_WORDS);
  }

  get memoryBytes(): number { return this.words.byteLength; }

  /** Forgets every count. */
  clear(): void { this.words.fill(0); }

  /** The slot (a word offset) holding the context of `hash`, or −1. Changes nothing. */
  find(hash: number): number {
    const w = this.words, check = checkOf(hash), i = (hash & this.mask) * SLOT_WORDS;
    if (w[i] === check) return i;
    const j = i ^ SLOT_WORDS;
    return w[j] === check ? j : -1;
  }

  /** The slot of `hash`, claimed (emptied) when the context is not in the table. */
  claim(hash: number): number {
    const w = this.words, check = checkOf(hash), i = (hash & this.mask) * SLOT_WORDS;
    if (w[i] === check) return i;
    const j = i ^ SLOT_WORDS;
    if (w[j] === check) return j;
    const s = weight(w, i) <= weight(w, j) ? i : j;
    w.fill(0, s, s + SLOT_WORDS);
    w[s] = check;
    return s;
  }

  /** Counts one more `symbol` after the context of slot s. */
  add(s: number, symbol: number): void {
    const w = this.words, tag = (symbol + 1) << 16;
    let empty = -1, least = -1, leastCount = Infinity;
    for (let e = s + 1; e <= s + ENTRIES; e++) {
      const x = w[e];
      if (x === 0) { if (empty < 0) empty = e; continue; }
      if ((x & 0xffff0000) === tag >>> 0) {
        const c = (x & 0xffff) + 1;
        w[e] = (tag | c) >>> 0;
        if (c >= COUNT_CAP) halve(w, s);
        return;
      }
      if ((x & 0xffff) < leastCount) { leastCount = x & 0xffff; least = e; }
    }
    w[empty >= 0 ? empty : least] = (tag | 1) >>> 0;
  }

  /** The followers of slot s: writes symbols and counts into syms/counts; returns how many. */
  followers(s: number, syms: Int32Array, counts: Int32Array): number {
    const w = this.words;
    let n = 0;
    for (let e = s + 1; e <= s + ENTRIES; e++) {
      const x = w[e];
      if (x === 0) continue;
      syms[n] = (x >>> 16) - 1;
      counts[n++] = x & 0xffff;
    }
    return n;
  }
}

/** The check word of a hash: other bits than the index's, never 0 (0 marks a free slot). */
function checkOf(hash: number): number {
  return (Math.imul(hash ^ (hash >>> 15), 0x2c1b3c6d) | 1) >>> 0;
}

function weight(w: Uint32Array, s: number): number {
  if (w[s] === 0) return -1;
  let t = 0;
  for (let e = s + 1; e <= s + ENTRIES; e++) t += w[e] & 0xffff;
  return t;
}

function halve(w: Uint32Array, s: number): void {
  for (let e = s + 1; e <= s + ENTRIES; e++) {
    const x = w[e];
    if (x === 0) continue;
    const c = (x & 0xffff) >>> 1;
    w[e] = c === 0 ? 0 : ((x & 0xffff0000) | c) >>> 0;
  }
}
