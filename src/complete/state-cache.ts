// Per-document cache of LSTM states, so that a keystroke costs only the characters since the
// nearest cached state before the cursor (plus the generated ones), not the whole context.
//
// A document's states all come from one reading: the file header, then the text from `anchor`
// (offset 0, or a line start not far before where the user works in a long file). A state at
// `pos` is the LSTM after text[anchor, pos). States sit at line starts (and every so many
// characters along a very long line) and at the last few cursors. An edit of [start, oldEnd)
// drops the states after `start` (the text they summarise changed) and shifts them all when it
// lies wholly before the anchor. Memory is bounded: states per document, and bytes over all
// documents, evicting the least recently used documents first.
import type { CharNGram } from './ngram';

export type StateKind = 'line' | 'cursor';

export interface CachedState {
  pos: number;
  state: Float32Array;
  kind: StateKind;
  tick: number;   // when last stored or used (cursor states keep the most recent few)
}

/** Cursor states kept per document (the rest are at line starts). */
const MAX_CURSOR_STATES = 4;

export class DocStates {
  anchor = 0;
  /** Sorted by pos, at most one per pos. */
  readonly entries: CachedState[] = [];
  /** The document's n-gram overlay (its own counts on top of the corpus'), when built. */
  overlay: CharNGram | null = null;
  /** The text changed since the overlay was built. */
  overlayStale = true;
  /** Where the last request was (eviction within the document keeps states near it). */
  lastPos = 0;
  /** The last completion shown, at its offset: typing its first characters keeps the rest. */
  lastShown: { offset: number; text: string; bits: number; meanBits: number; key: string } | null = null;

  constructor(readonly id: string) {}

  /** The cached state with the largest pos ≤ pos. */
  nearest(pos: number): CachedState | undefined {
    const e = this.entries;
    let lo = 0, hi = e.length - 1, best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (e[mid].pos <= pos) { best = mid; lo = mid + 1; } else hi = mid - 1;
    }
    return best >= 0 ? e[best] : undefined;
  }

  add(pos: number, state: Float32Array, kind: StateKind, tick: number): void {
    const e = this.entries;
    let i = e.length;
    while (i > 0 && e[i - 1].pos > pos) i--;
    if (i > 0 && e[i - 1].pos === pos) {
      const old = e[i - 1];
      old.state = state; old.tick = tick;
      if (kind === 'line') old.kind = 'line';   // a line start stays one
      return;
    }
    e.splice(i, 0, { pos, state, kind, tick });
    if (kind === 'cursor') this.dropOldCursors();
  }

  /** Forgets every state and the anchor (the next request reads afresh). */
  clear(): void {
    this.entries.length = 0;
    this.anchor = 0;
  }

  /** [start, oldEnd) of the text was replaced by newLength characters. */
  edit(start: number, oldEnd: number, newLength: number): void {
    this.overlayStale = true;
    if (this.lastShown && start < this.lastShown.offset) this.lastShown = null;
    const delta = newLength - (oldEnd - start);
    if (oldEnd <= this.anchor && start < this.anchor) {
      // wholly before the reading began: the states still hold, a little further on
      this.anchor += delta;
      for (const s of this.entries) s.pos += delta;
      if (this.lastPos >= oldEnd) this.lastPos += delta;
      return;
    }
    if (start < this.anchor) { this.clear(); return; }
    const e = this.entries;
    let keep = e.length;
    while (keep > 0 && e[keep - 1].pos > start) keep--;
    e.length = keep;
  }

  /** Keeps at most `max` states, dropping those farthest from the last request. */
  trim(max: number): void {
    const e = this.entries;
    if (e.length <= max) return;
    const around = this.lastPos;
    const ranked = e.map((s, i) => ({ i, d: Math.abs(s.pos - around) })).sort((a, b) => a.d - b.d).slice(0, max);
    const keep = new Set(ranked.map((r) => r.i));
    const kept = e.filter((_, i) => keep.has(i));
    e.length = 0;
    e.push(...kept);
  }

  bytes(stateBytes: number): number {
    return this.entries.length * stateBytes + (this.overlay ? this.overlay.memoryBytes() : 0);
  }

  private dropOldCursors(): void {
    const cursors = this.entries.filter((s) => s.kind === 'cursor');
    if (cursors.length <= MAX_CURSOR_STATES) return;
    cursors.sort((a, b) => a.tick - b.tick);
    const drop = new Set(cursors.slice(0, cursors.length - MAX_CURSOR_STATES));
    const kept = this.entries.filter((s) => !drop.has(s));
    this.entries.length = 0;
    this.entries.push(...kept);
  }
}

export interface StateCacheOptions {
  /** Floats per LSTM state. */
  stateSize: number;
  /** Bytes of states and overlays over all documents (default 64 MiB). */
  maxBytes?: number;
  /** States per document (default 1024). */
  maxStatesPerDoc?: number;
}

export class StateCache {
  readonly maxBytes: number;
  readonly maxStatesPerDoc: number;
  private readonly stateBytes: number;
  private readonly docs = new Map<string, DocStates>();   // in least-recently-used-first order
  private clock = 0;

  constructor(opts: StateCacheOptions) {
    this.stateBytes = opts.stateSize * 4;
    this.maxBytes = opts.maxBytes ?? 64 * 1024 * 1024;
    this.maxStatesPerDoc = opts.maxStatesPerDoc ?? 1024;
  }

  /** A tick for CachedState.tick. */
  tick(): number {
    return ++this.clock;
  }

  /** The document's states (made when missing), now the most recently used. */
  get(id: string): DocStates {
    let d = this.docs.get(id);
    if (d) this.docs.delete(id);
    else d = new DocStates(id);
    this.docs.set(id, d);
    return d;
  }

  peek(id: string): DocStates | undefined {
    return this.docs.get(id);
  }

  has(id: string): boolean {
    return this.docs.has(id);
  }

  edit(id: string, start: number, oldEnd: number, newLength: number): void {
    this.docs.get(id)?.edit(start, oldEnd, newLength);
  }

  forget(id: string): void {
    this.docs.delete(id);
  }

  clear(): void {
    this.docs.clear();
  }

  get size(): number {
    return this.docs.size;
  }

  get bytes(): number {
    let b = 0;
    for (const d of this.docs.values()) b += d.bytes(this.stateBytes);
    return b;
  }

  /** Enforces the bounds: trims each document's states, then evicts least recently used documents
   *  (never `keep`, the one in use) while over the byte budget; within `keep` itself, drops its
   *  overlay and then states if it alone is over. */
  enforce(keep?: string): void {
    for (const d of this.docs.values()) d.trim(this.maxStatesPerDoc);
    let total = this.bytes;
    for (const [id, d] of this.docs) {
      if (total <= this.maxBytes) return;
      if (id === keep) continue;
      total -= d.bytes(this.stateBytes);
      this.docs.delete(id);
    }
    const d = keep !== undefined ? this.docs.get(keep) : undefined;
    if (d && total > this.maxBytes && d.overlay) { total -= d.overlay.memoryBytes(); d.overlay = null; d.overlayStale = true; }
    if (d && total > this.maxBytes) d.trim(Math.max(1, Math.floor(this.maxBytes / this.stateBytes)));
  }
}
