// A character n-gram over vocabulary ids, smoothed by interpolated modified Kneser-Ney
// (Chen & Goodman 1998, "An Empirical Study of Smoothing Techniques for Language Modeling", eq. 17):
//
//   p_k(w | h) = max(c_k(hw) − D_k(c_k(hw)), 0) / T_k(h)  +  γ_k(h) · p_{k−1}(w | h′)
//   γ_k(h)     = (D_k1·N1(h•) + D_k2·N2(h•) + D_k3+·N3+(h•)) / T_k(h),    T_k(h) = Σ_w c_k(hw)
//   p_0(w)     = 1/V
//
// k is the n-gram length (1..order), h the last k−1 ids, h′ = h without its first id. c_k is the raw
// count at the top order and the continuation count N1+(•hw) (distinct ids seen before hw) below it.
// N_i(h•) counts the followers w with c_k(hw) = i (3+: ≥ 3). A context never seen (T = 0) passes its
// lower order through unchanged. Per level, from the count-of-counts n_1..n_4 of c_k:
//   Y = n1/(n1 + 2·n2),  D1 = 1 − 2Y·n2/n1,  D2 = 2 − 3Y·n3/n2,  D3+ = 3 − 4Y·n4/n3
// (clamped to [0.1, i]; a level lacking n_i borrows the discount below it).
//
// Every text is read as BOS^(order−1) followed by its ids (BOS = id V, never predicted), so the
// start of a file is a context of its own and every counted n-gram shorter than the order has a
// predecessor, which makes continuation counts exact.
//
// Storage: a forward trie of every substring of length ≤ order (a node at depth d is a d-gram), in
// typed arrays. A node's children (its followers, as a KN context) form a sibling list kept in
// move-to-front order, so frequent followers come first. Internal nodes (depth < order) also carry
// a suffix link (the node of the string minus its first id), which lets predict() find every
// context h_1..h_{order−1} of a position in O(order) steps, as a PPM coder walks its context tree.
// Leaves (depth = order) hold raw counts and no links. 16 bytes per internal node, 10 per leaf.
// Continuation counts are ≤ V + 1, so they fit 16 bits. The two lowest orders are cached as dense
// distributions (p_1, and p_2 per previous id), so predict walks only the short high-order lists.
//
// Overlay: withOverlay() returns a model whose own trie holds the *difference* that a document
// makes to the base counts (combined count = base + overlay, count-of-counts likewise), so a
// document is added, dropped or replaced without touching the corpus counts.

/** The largest order accepted. */
export const MAX_NGRAM_ORDER = 24;
const MAGIC = 0x474e4c4c;          // "LLNG" as a little-endian uint32
const FORMAT_VERSION = 1;
const HEADER_WORDS = 8;            // magic, version, order, vocab, internal nodes, leaves, chars (lo, hi)
/** Below this a discount would leave a seen context almost no mass for what it has not seen. */
const MIN_DISCOUNT = 0.1;
/** The p_2 cache holds (V + 1)·V floats: only for vocabularies up to this size. */
const PAIR_CACHE_MAX_VOCAB = 1024;

/** The trie in breadth-first order with siblings adjacent: what serialize() writes. */
interface TrieLayout {
  kids: Uint16Array;     // (internal) number of children of each internal node
  nChar: Uint16Array;    // (internal)
  nCount: Uint16Array;   // (internal)
  lChar: Uint16Array;    // (leaves)
  lCount: Uint32Array;   // (leaves)
}

/** The counts: a trie of every substring of length ≤ order, with sibling lists and suffix links. */
class CountTrie {
  readonly order: number;
  readonly symbols: number;           // V + 1 (the vocabulary and BOS)
  rootChild: Int32Array;              // (symbols) the depth-1 node of each id, or −1
  // internal nodes, depth 0..order−1; node 0 is the root (the empty string)
  nChar: Uint16Array;                 // last id of the node's string
  nCount: Uint16Array;                // continuation count
  nFirst: Int32Array;                 // first child (a leaf index when depth + 1 = order), or −1
  nNext: Int32Array;                  // next sibling, or −1
  nSuffix: Int32Array;                // the node of the string without its first id
  nSize = 1;
  // leaves, depth = order
  lChar: Uint16Array;
  lCount: Uint32Array;                // raw count
  lNext: Int32Array;
  lSize = 0;
  /** (order, 4): n_1..n_4, how many k-grams have count 1..4, per level k = 1..order. */
  coc: Float64Array;
  /** Set by childOrAdd: whether the node it returned is new. */
  created = false;

  constructor(order: number, symbols: number, internalCap = 1024, leafCap = 1024) {
    this.order = order;
    this.symbols = symbols;
    this.rootChild = new Int32Array(symbols).fill(-1);
    this.nChar = new Uint16Array(internalCap);
    this.nCount = new Uint16Array(internalCap);
    this.nFirst = new Int32Array(internalCap).fill(-1, 0, 1);
    this.nNext = new Int32Array(internalCap).fill(-1, 0, 1);
    this.nSuffix = new Int32Array(internalCap).fill(-1, 0, 1);
    this.lChar = new Uint16Array(leafCap);
    this.lCount = new Uint32Array(leafCap);
    this.lNext = new Int32Array(leafCap);
    this.coc = new Float64Array(order * 4);
  }

  byteSize(): number {
    return this.rootChild.byteLength + this.nChar.byteLength + this.nCount.byteLength + this.nFirst.byteLength
      + this.nNext.byteLength + this.nSuffix.byteLength + this.lChar.byteLength + this.lCount.byteLength
      + this.lNext.byteLength + this.coc.byteLength;
  }

  /** Reallocates the node arrays to hold `internal` and `leaves` nodes (at least the ones in use). */
  resize(internal: number, leaves: number): void {
    internal = Math.max(internal, this.nSize, 1);
    leaves = Math.max(leaves, this.lSize, 1);
    if (internal !== this.nChar.length) {
      this.nChar = copyInto(new Uint16Array(internal), this.nChar, this.nSize);
      this.nCount = copyInto(new Uint16Array(internal), this.nCount, this.nSize);
      this.nFirst = copyInto(new Int32Array(internal), this.nFirst, this.nSize);
      this.nNext = copyInto(new Int32Array(internal), this.nNext, this.nSize);
      this.nSuffix = copyInto(new Int32Array(internal), this.nSuffix, this.nSize);
    }
    if (leaves !== this.lChar.length) {
      this.lChar = copyInto(new Uint16Array(leaves), this.lChar, this.lSize);
      this.lCount = copyInto(new Uint32Array(leaves), this.lCount, this.lSize);
      this.lNext = copyInto(new Int32Array(leaves), this.lNext, this.lSize);
    }
  }

  /** The count of node j at depth `depth` (≥ 1). */
  count(j: number, depth: number): number {
    return depth === this.order ? this.lCount[j] : this.nCount[j];
  }

  /** The child of `node` (at `depth`) for id c, or −1. Does not reorder. */
  child(node: number, depth: number, c: number): number {
    if (depth === 0) return this.rootChild[c];
    if (depth + 1 === this.order) {
      const ch = this.lChar, nx = this.lNext;
      for (let j = this.nFirst[node]; j >= 0; j = nx[j]) if (ch[j] === c) return j;
      return -1;
    }
    const ch = this.nChar, nx = this.nNext;
    for (let j = this.nFirst[node]; j >= 0; j = nx[j]) if (ch[j] === c) return j;
    return -1;
  }

  /** The child of `node` (at `depth`) for id c, created (count 0) if missing; moved to the front of
   *  its sibling list. Sets `created`. A new internal node's suffix link is left to the caller. */
  childOrAdd(node: number, depth: number, c: number): number {
    const leaf = depth + 1 === this.order;
    if (depth === 0) {
      let j = this.rootChild[c];
      this.created = j < 0;
      if (j < 0) { j = leaf ? this.newLeaf(c, -1) : this.newInternal(c, -1); this.rootChild[c] = j; }
      return j;
    }
    const ch = leaf ? this.lChar : this.nChar;
    const nx = leaf ? this.lNext : this.nNext;
    let prev = -1;
    for (let j = this.nFirst[node]; j >= 0; prev = j, j = nx[j]) {
      if (ch[j] !== c) continue;
      this.created = false;
      if (prev >= 0) { nx[prev] = nx[j]; nx[j] = this.nFirst[node]; this.nFirst[node] = j; }
      return j;
    }
    this.created = true;
    const j = leaf ? this.newLeaf(c, this.nFirst[node]) : this.newInternal(c, this.nFirst[node]);
    this.nFirst[node] = j;
    return j;
  }

  private newInternal(c: number, next: number): number {
    if (this.nSize === this.nChar.length) this.resize(grow(this.nSize), this.lChar.length);
    const j = this.nSize++;
    this.nChar[j] = c; this.nCount[j] = 0; this.nFirst[j] = -1; this.nNext[j] = next; this.nSuffix[j] = -1;
    return j;
  }

  private newLeaf(c: number, next: number): number {
    if (this.lSize === this.lChar.length) this.resize(this.nChar.length, grow(this.lSize));
    const j = this.lSize++;
    this.lChar[j] = c; this.lCount[j] = 0; this.lNext[j] = next;
    return j;
  }

  /** Moves one level-k n-gram's count from `from` to `to` in the count-of-counts. */
  moveCount(level: number, from: number, to: number): void {
    const at = (level - 1) * 4 - 1;
    if (from >= 1 && from <= 4) this.coc[at + from]--;
    if (to >= 1 && to <= 4) this.coc[at + to]++;
  }

  /** One step of the context automaton: state (node, depth) is the longest suffix of the text
   *  read so far that is a node of depth ≤ order − 1; this moves it past id c. */
  feed(state: Int32Array, c: number): void {
    const maxDepth = this.order - 1;
    if (maxDepth === 0) return;
    let cur = state[0], d = state[1];
    if (d === maxDepth) { cur = this.nSuffix[cur]; d--; }
    for (;;) {
      const j = this.child(cur, d, c);    // depth d + 1 ≤ order − 1: an internal node
      if (j >= 0) { cur = j; d++; break; }
      if (d === 0) break;
      cur = this.nSuffix[cur]; d--;
    }
    state[0] = cur; state[1] = d;
  }

  /** The trie breadth-first, siblings adjacent in their list order (the root's by id). */
  layout(): TrieLayout {
    const N = this.order, S = this.symbols, nSize = this.nSize, lSize = this.lSize;
    const L: TrieLayout = {
      kids: new Uint16Array(nSize), nChar: new Uint16Array(nSize), nCount: new Uint16Array(nSize),
      lChar: new Uint16Array(lSize), lCount: new Uint32Array(lSize),
    };
    const queue = new Int32Array(nSize);      // old indices in the new order
    let tail = 1, leaves = 0, depth = 0, levelEnd = 1;
    for (let h = 0; h < tail; h++) {
      if (h === levelEnd) { depth++; levelEnd = tail; }
      const p = queue[h], leafKids = depth + 1 === N;
      L.nChar[h] = this.nChar[p];
      L.nCount[h] = this.nCount[p];
      let kids = 0;
      if (depth === 0) {
        for (let c = 0; c < S; c++) {
          const j = this.rootChild[c];
          if (j < 0) continue;
          kids++;
          if (leafKids) { L.lChar[leaves] = this.lChar[j]; L.lCount[leaves++] = this.lCount[j]; } else queue[tail++] = j;
        }
      } else if (leafKids) {
        for (let j = this.nFirst[p]; j >= 0; j = this.lNext[j]) { kids++; L.lChar[leaves] = this.lChar[j]; L.lCount[leaves++] = this.lCount[j]; }
      } else {
        for (let j = this.nFirst[p]; j >= 0; j = this.nNext[j]) { kids++; queue[tail++] = j; }
      }
      L.kids[h] = kids;
    }
    return L;
  }

  /** A trie from a breadth-first layout (node i of the layout becomes node i), checking it as it
   *  goes: children in range and all reached, ids in range, no two siblings alike, every suffix of
   *  a stored string stored. Recomputes suffix links and count-of-counts. Returns why it is
   *  malformed instead of a trie when it is. */
  static fromLayout(order: number, symbols: number, L: TrieLayout): CountTrie | string {
    const nSize = L.kids.length, lSize = L.lChar.length, N = order, S = symbols;
    if (nSize < 1) return 'it has no root';
    const t = new CountTrie(order, symbols, nSize, Math.max(lSize, 1));
    t.nSize = nSize; t.lSize = lSize;
    t.nChar.set(L.nChar); t.nCount.set(L.nCount); t.lChar.set(L.lChar); t.lCount.set(L.lCount);
    const stamp = new Int32Array(S).fill(-1);
    t.nSuffix[0] = -1;
    let next = 1, leaves = 0, depth = 0, levelEnd = 1;
    for (let h = 0; h < nSize; h++) {
      if (h === next) return 'some nodes are not reachable from the root';
      if (h === levelEnd) { depth++; levelEnd = next; }
      const k = L.kids[h];
      if (k > S) return 'a node has more children than the vocabulary';
      if (h > 0 && t.nCount[h] > S) return 'a continuation count exceeds the vocabulary';
      const leafKids = depth + 1 === N;
      const first = leafKids ? leaves : next;
      if (first + k > (leafKids ? lSize : nSize)) return 'the children overrun the stored nodes';
      const ch = leafKids ? t.lChar : t.nChar, cnt = leafKids ? t.lCount : t.nCount;
      const nx = leafKids ? t.lNext : t.nNext;
      t.nFirst[h] = k > 0 && depth > 0 ? first : -1;
      for (let i = 0; i < k; i++) {
        const j = first + i, id = ch[j];
        if (id >= S) return 'an id is out of range';
        if (stamp[id] === h) return 'a node has two children with the same id';
        stamp[id] = h;
        nx[j] = i + 1 < k ? j + 1 : -1;
        const c = cnt[j];
        if (c >= 1 && c <= 4) t.coc[depth * 4 + c - 1]++;
        if (depth === 0) t.rootChild[id] = j;
        if (!leafKids) {
          // suffix(h·id) = suffix(h)·id, a node one level up whose children are already linked
          const s = depth === 0 ? 0 : t.child(t.nSuffix[h], depth - 1, id);
          if (s < 0) return 'a suffix of a stored string is missing';
          t.nSuffix[j] = s;
        }
      }
      if (leafKids) leaves += k; else next += k;
    }
    if (next !== nSize || leaves !== lSize) return 'some nodes are not reachable from the root';
    return t;
  }
}

function grow(n: number): number {
  return Math.max(1024, Math.ceil(n * 1.5));
}

function copyInto<T extends Uint16Array | Uint32Array | Int32Array>(dst: T, src: T, n: number): T {
  dst.set(src.subarray(0, Math.min(n, dst.length)));
  return dst;
}

/** Modified-KN discounts D1, D2, D3+ from the count-of-counts, clamped to [MIN_DISCOUNT, i] so that
 *  every discounted count stays ≥ 0 and every seen context keeps γ > 0 for the lower orders; a
 *  missing n_i borrows the discount below it. */
function knDiscounts(n1: number, n2: number, n3: number, n4: number, out: Float64Array, at: number): void {
  const y = n1 + 2 * n2 > 0 ? n1 / (n1 + 2 * n2) : 0.5;
  const d1 = n1 > 0 ? 1 - 2 * y * n2 / n1 : 0.5;
  const d2 = n2 > 0 ? 2 - 3 * y * n3 / n2 : d1;
  const d3 = n3 > 0 ? 3 - 4 * y * n4 / n3 : d2;
  out[at] = clamp(d1, MIN_DISCOUNT, 1);
  out[at + 1] = clamp(d2, MIN_DISCOUNT, 2);
  out[at + 2] = clamp(d3, MIN_DISCOUNT, 3);
}

function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

export class CharNGram {
  readonly order: number;
  readonly vocabSize: number;
  /** After predict() (and per id during bits()): the length of the longest n-gram whose context had
   *  counts: 0 = none, 1 = only the unigram, …, order = the full context was seen. */
  matchOrder = 0;

  private trie: CountTrie;
  private base: CharNGram | null = null;   // set on an overlay
  private baseVersion = 0;                 // the base's version when this overlay was made
  private version = 0;                     // bumped by every change of the counts
  private charsCounted = 0;
  // derived from the counts; valid while (version, base's version) equal the stamps
  private stampOwn = -1;
  private stampBase = -1;
  private generation = 0;                  // bumped whenever the stamps move
  private readonly disc: Float64Array;     // (order, 3) D1, D2, D3+ per level
  private readonly p1: Float64Array;       // (V) p_1(w)
  private p1Match = false;                 // whether p_1 came from counts
  private readonly pair: Float32Array | null;   // (V + 1, V) p_2(w | a), when V is small enough
  private readonly pairGen: Int32Array;    // (V + 1) the generation each row of pair was made in
  private readonly pairMatch: Uint8Array;  // (V + 1) matchOrder of that row: 2, 1 or 0
  // scratch
  private readonly acc: Float64Array;      // (V + 1) combined counts of one context's followers
  private readonly touched: Int32Array;    // (V + 1) which ids acc holds
  private readonly p64: Float64Array;      // (V) predict's sum
  private readonly rowScratch: Float64Array;   // (V) a p_2 row being made
  private readonly chainOwn: Int32Array;   // (order) context node per depth in the own trie
  private readonly chainBase: Int32Array;  // (order) … in the base trie
  private readonly stOwn = new Int32Array(2);
  private readonly stBase = new Int32Array(2);
  private term = 0;                        // discountInto's term for the target

  constructor(order: number, vocabSize: number) {
    if (!Number.isInteger(order) || order < 1 || order > MAX_NGRAM_ORDER) {
      throw new Error(`The n-gram order must be an integer from 1 to ${MAX_NGRAM_ORDER}, not ${order}.`);
    }
    if (!Number.isInteger(vocabSize) || vocabSize < 1 || vocabSize > 65534) {
      throw new Error(`The n-gram vocabulary size must be an integer from 1 to 65534, not ${vocabSize}.`);
    }
    this.order = order;
    this.vocabSize = vocabSize;
    this.trie = new CountTrie(order, vocabSize + 1);
    this.disc = new Float64Array(order * 3);
    this.p1 = new Float64Array(vocabSize);
    const pairs = order >= 2 && vocabSize <= PAIR_CACHE_MAX_VOCAB;
    this.pair = pairs ? new Float32Array((vocabSize + 1) * vocabSize) : null;
    this.pairGen = new Int32Array(pairs ? vocabSize + 1 : 0).fill(-1);
    this.pairMatch = new Uint8Array(pairs ? vocabSize + 1 : 0);
    this.acc = new Float64Array(vocabSize + 1);
    this.touched = new Int32Array(vocabSize + 1);
    this.p64 = new Float64Array(vocabSize);
    this.rowScratch = new Float64Array(vocabSize);
    this.chainOwn = new Int32Array(order);
    this.chainBase = new Int32Array(order);
  }

  /** Whether this model is an overlay on a base model. */
  get isOverlay(): boolean { return this.base !== null; }

  /** Characters counted by addText (on an overlay: the overlay's own). */
  get chars(): number { return this.charsCounted; }

  /** Bytes held by the count arrays (an overlay's own only; the small caches not included). */
  memoryBytes(): number { return this.trie.byteSize(); }

  /** Substrings stored: internal trie nodes (root included) and top-order leaves. */
  get nodeCounts(): { internal: number; leaves: number } {
    return { internal: this.trie.nSize, leaves: this.trie.lSize };
  }

  /** Re-lays the counts breadth-first with siblings adjacent and drops spare capacity: less memory
   *  and faster lookups. Call after counting a corpus (it briefly needs up to the model's memory
   *  again, plus 6 bytes per node). */
  compact(): void {
    const layout = this.trie.layout();
    this.trie = new CountTrie(this.order, this.vocabSize + 1, 1, 1);   // let the old arrays go first
    const t = CountTrie.fromLayout(this.order, this.vocabSize + 1, layout);
    if (typeof t === 'string') throw new Error(`Internal error: the n-gram counts are inconsistent (${t}).`);
    this.trie = t;
  }

  /** A model that reads as this one plus whatever is added to it, leaving this one untouched.
   *  This model must not change while the overlay is in use (the overlay then refuses to work). */
  withOverlay(): CharNGram {
    if (this.base) throw new Error('An overlay cannot carry another overlay; call withOverlay() on the base model.');
    const o = new CharNGram(this.order, this.vocabSize);
    o.base = this;
    o.baseVersion = this.version;
    return o;
  }

  /** Drops every count (on an overlay: the document's counts, so another can be added). */
  clear(): void {
    this.trie = new CountTrie(this.order, this.vocabSize + 1);
    this.charsCounted = 0;
    this.version++;
    if (this.base) this.baseVersion = this.base.version;
  }

  /** Counts one text (a whole stream: it starts after BOS^(order−1)). Can be called repeatedly. */
  addText(ids: Int32Array): void {
    this.checkBase();
    checkIds(ids, ids.length, this.vocabSize, 'addText');
    if (ids.length === 0) return;
    const N = this.order, BOS = this.vocabSize, own = this.trie;
    const baseTrie = this.base ? this.base.trie : null;
    // path[k]: the node of the k-gram ending at the previous position (k = 0..N−1), own and base trie
    let path = new Int32Array(N + 1), next = new Int32Array(N + 1);
    let bPath = new Int32Array(N + 1), bNext = new Int32Array(N + 1);
    for (let k = 1; k < N; k++) {
      path[k] = own.childOrAdd(path[k - 1], k - 1, BOS);
      if (own.created) own.nSuffix[path[k]] = path[k - 1];
      if (baseTrie) bPath[k] = bPath[k - 1] < 0 ? -1 : baseTrie.child(bPath[k - 1], k - 1, BOS);
    }
    for (let i = 0; i < ids.length; i++) {
      const t = ids[i];
      // the k-grams ending at i: child(k−1-gram ending at i−1, t); suffix link = the (k−1)-gram ending at i
      next[0] = 0; bNext[0] = 0;
      for (let k = 1; k <= N; k++) {
        const j = own.childOrAdd(path[k - 1], k - 1, t);
        if (own.created && k < N) own.nSuffix[j] = next[k - 1];
        next[k] = j;
        if (baseTrie) bNext[k] = bPath[k - 1] < 0 ? -1 : baseTrie.child(bPath[k - 1], k - 1, t);
      }
      // counts: raw at the top; one level down only when the n-gram above was new (a new predecessor)
      let isNew = true;
      for (let k = N; k >= 1 && isNew; k--) {
        const j = next[k];
        const baseCount = baseTrie && bNext[k] >= 0 ? baseTrie.count(bNext[k], k) : 0;
        const old = baseCount + own.count(j, k);
        if (k === N) own.lCount[j]++; else own.nCount[j]++;
        own.moveCount(k, old, old + 1);
        isNew = old === 0;
      }
      let swap = path; path = next; next = swap;
      swap = bPath; bPath = bNext; bNext = swap;
    }
    this.charsCounted += ids.length;
    this.version++;
  }

  /** The next-id distribution after context[0..contextEnd) (index 0 is the start of the text; only
   *  the last order−1 ids matter). Writes V probabilities into out (they sum to 1) and returns it. */
  predict(context: Int32Array, contextEnd: number, out: Float32Array): Float32Array {
    this.checkBase();
    if (!Number.isInteger(contextEnd) || contextEnd < 0 || contextEnd > context.length) {
      throw new RangeError(`predict: contextEnd ${contextEnd} is outside the context of length ${context.length}.`);
    }
    if (out.length < this.vocabSize) throw new RangeError(`predict: out holds ${out.length} floats, fewer than the vocabulary's ${this.vocabSize}.`);
    const from = Math.max(0, contextEnd - this.order + 1);
    checkIds(context.subarray(from, contextEnd), contextEnd - from, this.vocabSize, 'predict');
    const dOwn = this.locate(this.trie, context, contextEnd, this.stOwn, this.chainOwn);
    const dBase = this.base ? this.locate(this.base.trie, context, contextEnd, this.stBase, this.chainBase) : -1;
    const last = contextEnd > 0 ? context[contextEnd - 1] : this.vocabSize;
    const p = this.p64;
    p.fill(0);
    this.interpolate(dOwn, dBase, last, -1, p);
    for (let w = 0; w < this.vocabSize; w++) out[w] = p[w];
    return out;
  }

  /** Total bits of ids[1..] (each id from the ones before it, the text starting at index 0),
   *  as eval scores a stream: characters 2..N. */
  bits(ids: Int32Array): number {
    this.checkBase();
    checkIds(ids, ids.length, this.vocabSize, 'bits');
    const own = this.trie, baseTrie = this.base ? this.base.trie : null;
    const so = this.stOwn, sb = this.stBase;
    so[0] = 0; so[1] = 0; sb[0] = 0; sb[1] = 0;
    for (let k = 1; k < this.order; k++) {
      own.feed(so, this.vocabSize);
      if (baseTrie) baseTrie.feed(sb, this.vocabSize);
    }
    let bits = 0;
    for (let i = 0; i < ids.length; i++) {
      if (i > 0) {
        const dOwn = fillChain(own, so, this.chainOwn);
        const dBase = baseTrie ? fillChain(baseTrie, sb, this.chainBase) : -1;
        bits -= Math.log2(this.interpolate(dOwn, dBase, ids[i - 1], ids[i], null));
      }
      own.feed(so, ids[i]);
      if (baseTrie) baseTrie.feed(sb, ids[i]);
    }
    return bits;
  }

  /** bits(ids) per scored character (ids.length − 1 of them); NaN for fewer than 2 ids. */
  bitsPerChar(ids: Int32Array): number {
    return ids.length < 2 ? NaN : this.bits(ids) / (ids.length - 1);
  }

  /** The counts as bytes (a base model only: an overlay is rebuilt from its document).
   *  Layout, little-endian uint32 words: magic "LLNG", version, order, V, internal nodes n,
   *  leaves l, chars counted (lo, hi); then breadth-first per internal node its number of children,
   *  id and count (three uint16 arrays of n), per leaf its id (uint16) and count (uint32), each
   *  array padded to 4 bytes; last, a checksum of all the words before it. */
  serialize(): Uint8Array {
    if (this.base) throw new Error('An overlay cannot be serialized; serialize its base model and add the document again.');
    const L = this.trie.layout();
    const n = L.kids.length, l = L.lChar.length;
    const words = HEADER_WORDS + 3 * half(n) + half(l) + l + 1;
    const buf = new ArrayBuffer(words * 4);
    const u32 = new Uint32Array(buf);
    u32.set([MAGIC, FORMAT_VERSION, this.order, this.vocabSize, n, l,
      this.charsCounted % 0x100000000, Math.floor(this.charsCounted / 0x100000000)]);
    let at = HEADER_WORDS * 4;
    for (const a of [L.kids, L.nChar, L.nCount, L.lChar, L.lCount]) {
      new Uint8Array(buf, at, a.byteLength).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
      at += Math.ceil(a.byteLength / 4) * 4;
    }
    u32[words - 1] = checksum(u32, words - 1);
    return new Uint8Array(buf);
  }

  /** A model from serialize()'s bytes; refuses anything malformed with one sentence. */
  static deserialize(bytes: Uint8Array): CharNGram {
    const fail = (why: string): never => { throw new Error(`Not a valid n-gram model: ${why}.`); };
    if (bytes.length < (HEADER_WORDS + 1) * 4 || bytes.length % 4 !== 0) fail('the data is too short or not a whole number of words');
    // a view when aligned (only read: the trie copies what it keeps), else an aligned copy
    const u32 = bytes.byteOffset % 4 === 0
      ? new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4)
      : new Uint32Array(bytes.slice().buffer);
    if (u32[0] !== MAGIC) fail('it does not start with the n-gram signature');
    if (u32[1] !== FORMAT_VERSION) fail(`format version ${u32[1]} is not the supported ${FORMAT_VERSION}`);
    const order = u32[2], V = u32[3], n = u32[4], l = u32[5];
    if (order < 1 || order > MAX_NGRAM_ORDER) fail(`order ${order} is out of range`);
    if (V < 1 || V > 65534) fail(`vocabulary size ${V} is out of range`);
    const words = HEADER_WORDS + 3 * half(n) + half(l) + l + 1;
    if (u32.length !== words) fail(`it holds ${u32.length * 4} bytes where its header implies ${words * 4}`);
    if (checksum(u32, words - 1) !== u32[words - 1]) fail('the checksum does not match (the data is corrupted)');
    const buf = u32.buffer;
    let at = u32.byteOffset + HEADER_WORDS * 4;
    const u16s = (count: number): Uint16Array => { const a = new Uint16Array(buf, at, count); at += half(count) * 4; return a; };
    const kids = u16s(n), nChar = u16s(n), nCount = u16s(n), lChar = u16s(l);
    const lCount = new Uint32Array(buf, at, l);
    const t = CountTrie.fromLayout(order, V + 1, { kids, nChar, nCount, lChar, lCount });
    if (typeof t === 'string') return fail(t);
    const m = new CharNGram(order, V);
    m.trie = t;
    m.charsCounted = u32[6] + u32[7] * 0x100000000;
    m.version = 1;
    return m;
  }

  // ---- internals ----

  private checkBase(): void {
    if (this.base && this.base.version !== this.baseVersion) {
      throw new Error('The base n-gram changed after this overlay was made; make a new overlay with withOverlay().');
    }
  }

  /** Runs the context automaton over the last order−1 ids (BOS before index 0) and fills chain
   *  with the context node of every depth 0..d; returns d, the deepest depth found. */
  private locate(trie: CountTrie, context: Int32Array, end: number, st: Int32Array, chain: Int32Array): number {
    st[0] = 0; st[1] = 0;
    for (let j = end - this.order + 1; j < end; j++) trie.feed(st, j < 0 ? this.vocabSize : context[j]);
    return fillChain(trie, st, chain);
  }

  /** Recomputes the discounts and p_1, and invalidates the p_2 rows, when any counts changed. */
  private refresh(): void {
    const baseV = this.base ? this.base.version : 0;
    if (this.version === this.stampOwn && baseV === this.stampBase) return;
    const own = this.trie.coc, base = this.base ? this.base.trie.coc : null;
    for (let level = 0; level < this.order; level++) {
      const n = (i: number): number => own[level * 4 + i] + (base ? base[level * 4 + i] : 0);
      knDiscounts(n(0), n(1), n(2), n(3), this.disc, level * 3);
    }
    this.stampOwn = this.version;
    this.stampBase = baseV;
    this.generation++;
    // p_1 = discounted unigram continuation counts + γ_1 · uniform
    const m = this.gatherBoth(0, 0, 0);
    const p1 = this.p1, V = this.vocabSize;
    p1.fill(0);
    const gamma = this.discountInto(m, 0, 1, p1, 0);
    this.p1Match = m > 0;
    for (let w = 0; w < V; w++) p1[w] += gamma / V;
  }

  /** p_2(· | a) from the cache, filling the row if stale. */
  private pairRow(a: number): Float32Array {
    const V = this.vocabSize, row = this.pair!.subarray(a * V, a * V + V);
    if (this.pairGen[a] === this.generation) return row;
    const nOwn = this.trie.rootChild[a];
    const nBase = this.base ? this.base.trie.rootChild[a] : -1;
    const m = this.gatherBoth(1, nOwn, nBase);
    const p = this.rowScratch, p1 = this.p1;
    p.fill(0);
    const gamma = this.discountInto(m, 1, 1, p, 0);
    for (let w = 0; w < V; w++) row[w] = p[w] + gamma * p1[w];
    this.pairMatch[a] = m > 0 ? 2 : this.p1Match ? 1 : 0;
    this.pairGen[a] = this.generation;
    return row;
  }

  /** Gathers the followers of the depth-d context (own node, base node; −1 = absent) into acc. */
  private gatherBoth(depth: number, nOwn: number, nBase: number): number {
    let m = 0;
    if (nOwn >= 0) m = this.gather(this.trie, nOwn, depth, m);
    if (this.base && nBase >= 0) m = this.gather(this.base.trie, nBase, depth, m);
    return m;
  }

  /** Adds the followers of `node` (a context at `depth`) into acc; returns the new touched length. */
  private gather(trie: CountTrie, node: number, depth: number, m: number): number {
    const acc = this.acc, touched = this.touched;
    if (depth === 0) {
      const rc = trie.rootChild, V = this.vocabSize;
      const cnt = trie.order === 1 ? trie.lCount : trie.nCount;
      for (let w = 0; w < V; w++) {
        const j = rc[w];
        if (j < 0) continue;
        const c = cnt[j];
        if (c === 0) continue;
        if (acc[w] === 0) touched[m++] = w;
        acc[w] += c;
      }
    } else if (depth + 1 === trie.order) {
      // Leaves and internal nodes have count arrays of different types (Uint32 / Uint16): one loop
      // over either would be polymorphic, and measured 6% slower per predict (bench/ngram.bench.ts).
      const ch = trie.lChar, cnt = trie.lCount, nx = trie.lNext;
      for (let j = trie.nFirst[node]; j >= 0; j = nx[j]) {
        const c = cnt[j];
        if (c === 0) continue;
        const w = ch[j];
        if (acc[w] === 0) touched[m++] = w;
        acc[w] += c;
      }
    } else {
      const ch = trie.nChar, cnt = trie.nCount, nx = trie.nNext;
      for (let j = trie.nFirst[node]; j >= 0; j = nx[j]) {
        const c = cnt[j];
        if (c === 0) continue;
        const w = ch[j];
        if (acc[w] === 0) touched[m++] = w;
        acc[w] += c;
      }
    }
    return m;
  }

  /** For the m followers gathered in acc of a context at `depth`: adds beta·max(c − D, 0)/T into
   *  out for each (without out, leaves the target's term in this.term); clears acc; returns beta·γ. */
  private discountInto(m: number, depth: number, beta: number, out: Float64Array | null, target: number): number {
    const acc = this.acc, touched = this.touched, disc = this.disc;
    let T = 0, n1 = 0, n2 = 0, n3 = 0;
    for (let i = 0; i < m; i++) {
      const c = acc[touched[i]];
      T += c;
      if (c === 1) n1++; else if (c === 2) n2++; else n3++;
    }
    if (m === 0) { this.term = 0; return beta; }
    const D1 = disc[depth * 3], D2 = disc[depth * 3 + 1], D3 = disc[depth * 3 + 2];
    const scale = beta / T;
    if (out) {
      for (let i = 0; i < m; i++) {
        const w = touched[i], c = acc[w];
        out[w] += scale * (c - (c === 1 ? D1 : c === 2 ? D2 : D3));
        acc[w] = 0;
      }
    } else {
      const c = acc[target];
      this.term = c > 0 ? scale * (c - (c === 1 ? D1 : c === 2 ? D2 : D3)) : 0;
      for (let i = 0; i < m; i++) acc[touched[i]] = 0;
    }
    return beta * (D1 * n1 + D2 * n2 + D3 * n3) / T;
  }

  /** The interpolation, highest order first: p(w) = Σ_k β_k·max(c_k − D, 0)/T_k + β·p_low(w), with
   *  β the product of the γ above and p_low the cached p_2(· | last) (or p_1). With out, writes
   *  p(w) for every id into out (which must start at 0); without, returns p(target). */
  private interpolate(dOwn: number, dBase: number, last: number, target: number, out: Float64Array | null): number {
    this.refresh();
    const lowDepth = this.pair ? 1 : 0;     // depths ≤ lowDepth come from the caches
    let beta = 1, pTarget = 0, match = 0;
    for (let k = Math.max(dOwn, dBase); k > lowDepth; k--) {
      const m = this.gatherBoth(k, k <= dOwn ? this.chainOwn[k] : -1, k <= dBase ? this.chainBase[k] : -1);
      if (m === 0) continue;
      if (match === 0) match = k + 1;
      beta = this.discountInto(m, k, beta, out, target);
      if (!out) pTarget += this.term;
    }
    let low: Float32Array | Float64Array;
    if (this.pair) {
      low = this.pairRow(last);
      if (match === 0) match = this.pairMatch[last];
    } else {
      low = this.p1;
      if (match === 0 && this.p1Match) match = 1;
    }
    this.matchOrder = match;
    if (!out) return pTarget + beta * low[target];
    for (let w = 0; w < this.vocabSize; w++) out[w] += beta * low[w];
    return 1;
  }
}

/** chain[d..0] = the state's node and its suffix links; returns d. */
function fillChain(trie: CountTrie, st: Int32Array, chain: Int32Array): number {
  const d = st[1];
  let j = st[0];
  for (let k = d; k >= 0; k--) { chain[k] = j; j = trie.nSuffix[j]; }
  return d;
}

function checkIds(ids: Int32Array, n: number, V: number, what: string): void {
  for (let i = 0; i < n; i++) {
    const c = ids[i];
    if (!(c >= 0 && c < V)) throw new RangeError(`${what}: id ${c} at index ${i} is outside the vocabulary 0..${V - 1}.`);
  }
}

/** Words that n uint16 values take, padded. */
function half(n: number): number { return Math.ceil(n / 2); }

/** An FNV-style hash over 32-bit words: each step is a bijection of the state, so any change of a
 *  single word always changes the result. */
function checksum(u32: Uint32Array, n: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < n; i++) h = Math.imul(h ^ u32[i], 0x01000193);
  return h >>> 0;
}
