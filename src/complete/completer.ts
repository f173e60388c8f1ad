// Completions for documents: read the context from the nearest cached state (state-cache.ts),
// decode (decode.ts) from the mixture of the LSTM and the document's n-gram (predictor.ts), and
// keep only what is worth showing (rules.ts). One engine per loaded model; it is synchronous
// and checks `cancelled()` between lines while reading and before every decoding step.
//
// Reading a document not seen before (or far from any cached state) starts from the file
// header and `window` characters before the cursor, at a line start: the LSTM forgets faster
// than that, and it bounds the first request's cost. Lines far from the cursor are primed a
// block at a time (a state saved at each line start, and every `chunk` characters along a long
// line); the last `learnTail` characters are read one by one, and the mixer learns from them.
import { LogisticMixer } from './mixer';
import { decode, Proposal, StepSource } from './decode';
import type { CompletionModel } from './completion-model';
import { MixturePredictor, PredictorState } from './predictor';
import { finishCompletion, LineContext, lineContext, openBrackets, startsAfterIndent, Verdict } from './rules';
import { showVerdict } from './show-rules';
import type { DecodeSettings } from './decode-settings';
import { DocStates, StateCache } from './state-cache';

export interface EngineOptions {
  /** Characters before the cursor read for a document not seen before (default 1,000). */
  window?: number;
  /** A cached state farther than this before the cursor is not read on from (default 3,000). */
  maxCatchUp?: number;
  /** A state is cached every this many characters along a long line (default 256). */
  chunk?: number;
  /** The characters this close before the cursor are read one by one, the mixer learning from
   *  them; those before are primed a block at a time (default 400). */
  learnTail?: number;
  /** Bytes of cached states and overlays over all documents (default 64 MiB). */
  maxBytes?: number;
  /** Cached states per document (default 1,024). */
  maxStatesPerDoc?: number;
  /** Characters of a document counted into its n-gram overlay (default 100,000, around the cursor). */
  overlayMaxChars?: number;
  /** The mixer to learn in (default: a new one); shared by all documents. */
  mixer?: LogisticMixer;
  /** Typing the first characters of the completion shown keeps the rest without decoding again
   *  (default true; off, every keystroke decodes: benchmarks measure both). */
  reuseShown?: boolean;
  /** Also the rules of what the editor shows (show-rules.ts): nothing too short, nothing that only
   *  closes brackets, no repetition in comments (default false: `lstm-lens complete` reports what
   *  decoding finishes the line with). */
  editorRules?: boolean;
  now?: () => number;
}

export interface CompletionRequest {
  /** Identifies the document in the cache (a URI, a path). */
  docId: string;
  /** The document's text (at least everything before the cursor, and its line and the next). */
  text: string;
  /** Cursor offset in UTF-16 code units. */
  offset: number;
  /** The header the corpus puts before the file (fileHeader(relPath)), or ''. */
  header: string;
  settings: DecodeSettings;
  /** The text past this offset is not the document's but a preview (the suggest widget's selected
   *  item put in): nothing read past it is cached, and the completion is not kept for reuse. */
  previewFrom?: number;
  /** A continuation another model proposes whole (the adaptive predictor's match model). */
  proposal?: Proposal;
}

export interface CompletionItem {
  text: string;
  /** Characters after the cursor, on its line, that text replaces (closers the editor had put
   *  there and the completion writes itself; 0: inserted at the cursor). */
  replace: number;
  /** −log2 of the probability of the whole completion (lower is surer): the confidence measure,
   *  which predicts whether the user takes it (exact rest of line, bench/completions/README.md). */
  bits: number;
  /** Mean bits per generated character. */
  meanBits: number;
}

export type NoCompletionReason = 'cancelled' | 'low-confidence' | 'empty' | 'repeats-suffix' | 'repeats-next-line'
  | 'too-short' | 'only-closes' | 'repeats-comment';

export interface CompletionResult {
  /** Best first; empty when nothing is worth showing. */
  items: CompletionItem[];
  /** Why there are no items. */
  reason?: NoCompletionReason;
  /** Characters of context the LSTM read for this request. */
  fed: number;
  /** Distributions computed while decoding. */
  steps: number;
  ms: number;
}

export class Completer {
  readonly predictor: MixturePredictor;
  readonly cache: StateCache;
  private readonly window: number;
  private readonly maxCatchUp: number;
  private readonly chunk: number;
  private readonly learnTail: number;
  private readonly overlayMaxChars: number;
  private readonly now: () => number;
  private readonly scratch: Float32Array;
  private readonly reuseShown: boolean;
  private readonly editorRules: boolean;

  constructor(readonly model: CompletionModel, opts: EngineOptions = {}) {
    this.predictor = new MixturePredictor(model, opts.mixer ?? new LogisticMixer(2, model.V));
    this.cache = new StateCache({ stateSize: model.stateSize, maxBytes: opts.maxBytes, maxStatesPerDoc: opts.maxStatesPerDoc });
    this.window = opts.window ?? 1000;
    this.maxCatchUp = opts.maxCatchUp ?? 3000;
    this.chunk = opts.chunk ?? 256;
    this.learnTail = opts.learnTail ?? 400;
    this.overlayMaxChars = opts.overlayMaxChars ?? 100_000;
    this.now = opts.now ?? (() => performance.now());
    this.scratch = new Float32Array(model.V);
    this.reuseShown = opts.reuseShown ?? true;
    this.editorRules = opts.editorRules ?? false;
  }

  /** The document's text changed: [start, oldEnd) was replaced by newLength characters. */
  edit(docId: string, start: number, oldEnd: number, newLength: number): void {
    this.cache.edit(docId, start, oldEnd, newLength);
  }

  /** Drops everything cached for a document (closed). */
  forget(docId: string): void {
    this.cache.forget(docId);
  }

  complete(req: CompletionRequest, cancelled: () => boolean = () => false): CompletionResult {
    const t0 = this.now();
    const pred = this.predictor, s = req.settings;
    const offset = Math.max(0, Math.min(req.offset, req.text.length));
    const doc = this.cache.get(req.docId);
    doc.lastPos = offset;
    pred.component = s.component;
    pred.decoding = false;
    pred.useNGram(doc.overlay);
    const fed0 = pred.fed;
    let fed = 0;
    const done = (r: Omit<CompletionResult, 'fed' | 'ms'>): CompletionResult => {
      pred.decoding = false;
      this.cache.enforce(req.docId);
      return { ...r, fed, ms: this.now() - t0 };
    };
    const preview = req.previewFrom !== undefined;
    const read = !cancelled() && this.readTo(doc, req.text, offset, req.header, cancelled, req.previewFrom ?? Infinity);
    fed = pred.fed - fed0;
    if (!read) return done({ items: [], reason: 'cancelled', steps: 0 });

    const ctx = lineContext(req.text, offset);
    // the user typed the start of the completion shown last: the rest of it is what greedy
    // decoding would give again (bar what the mixer learned from those characters)
    const key = settingsKey(s);
    const shown = doc.lastShown;
    if (shown && !preview && this.reuseShown && s.alternatives === 1 && shown.key === key && offset > shown.offset && offset - shown.offset < shown.text.length) {
      const typed = req.text.slice(shown.offset, offset);
      if (shown.text.startsWith(typed)) {
        const v = this.finish(shown.text.slice(typed.length), ctx);
        if ('text' in v) return done({ items: [{ text: v.text, replace: v.replace, bits: shown.bits, meanBits: shown.meanBits }], steps: 0 });
      }
    }
    pred.decoding = true;
    const source: StepSource<PredictorState> = {
      V: pred.V, dist: (out) => pred.dist(out), push: (id) => pred.push(id), save: () => pred.save(), restore: (st) => pred.restore(st),
    };
    const out = decode({
      source, codes: this.model.codes, settings: s, cancelled, proposal: req.proposal,
      noLeadingBlank: startsAfterIndent(ctx.linePrefix), openDepth: s.scope === 'block' ? openBrackets(ctx.linePrefix) : 0,
    });
    if (out.cancelled) return done({ items: [], reason: 'cancelled', steps: out.steps });
    const items: CompletionItem[] = [];
    let reason: NoCompletionReason = 'empty';
    for (const d of out.completions) {
      if (d.bits > s.threshold) { reason = 'low-confidence'; continue; }
      const v = this.finish(this.model.vocab.decode(d.ids), ctx);
      if ('suppressed' in v) { reason = v.suppressed; continue; }
      if (!items.some((i) => i.text === v.text)) items.push({ text: v.text, replace: v.replace, bits: d.bits, meanBits: d.meanBits });
    }
    if (!preview) doc.lastShown = items.length && s.alternatives === 1 ? { offset, text: items[0].text, bits: items[0].bits, meanBits: items[0].meanBits, key } : null;
    return done(items.length ? { items, steps: out.steps } : { items, reason, steps: out.steps });
  }

  /** What of a decoded text is shown (rules.ts, and show-rules.ts for the editor). */
  private finish(raw: string, ctx: LineContext): Verdict | { suppressed: NoCompletionReason } {
    const v = finishCompletion(raw, ctx);
    if (!this.editorRules || 'suppressed' in v) return v;
    const shown = showVerdict(v.text, ctx);
    if ('suppressed' in shown) return shown;
    // cut (a repetition in a comment): what it still merges with after the cursor may differ
    return shown.text === v.text ? v : finishCompletion(shown.text, ctx);
  }

  /** Answers a request from the model and that request's own text only (what `lstm-lens
   *  complete` does): nothing cached for its document is read, the document's n-gram overlay is
   *  counted from this text first, and nothing this request reads stays cached after it. The
   *  mixer's weights are the caller's to put back (they learn from the text before the cursor). */
  completeAlone(req: CompletionRequest, cancelled: () => boolean = () => false): CompletionResult {
    this.forget(req.docId);
    this.cache.get(req.docId).lastPos = req.offset;
    if (this.model.ngram && req.settings.component !== 'lstm') this.refreshOverlay(req.docId, req.text, req.header);
    try {
      return this.complete(req, cancelled);
    } finally {
      this.forget(req.docId);
    }
  }

  /** Builds (or rebuilds) a document's n-gram overlay when its text changed since the last one,
   *  from its text but the rest of the line of its last request: idle work (it costs a few microseconds per character). Returns whether it built one. */
  refreshOverlay(docId: string, text: string, header: string): boolean {
    const doc = this.cache.peek(docId);
    const base = this.model.ngram;
    if (!doc || !base || !doc.overlayStale) return false;
    const ov = doc.overlay ?? base.withOverlay();
    ov.clear();
    let from = 0, to = text.length;
    if (text.length > this.overlayMaxChars) {
      // mostly what comes before the place being edited
      from = Math.max(0, Math.min(text.length - this.overlayMaxChars, doc.lastPos - Math.floor(this.overlayMaxChars * 0.8)));
      to = from + this.overlayMaxChars;
    }
    // not the rest of the line being edited: counted, the characters just after the cursor (a
    // `)` the editor closed by itself) would teach the n-gram to predict them at the cursor
    const cursor = Math.max(from, Math.min(doc.lastPos, to));
    const eol = text.indexOf('\n', cursor);
    const resume = eol < 0 ? to : Math.max(cursor, Math.min(eol + 1, to));
    ov.addText(this.model.encode(from === 0 ? header + text.slice(0, cursor) : text.slice(from, cursor)));
    if (resume < to) ov.addText(this.model.encode(text.slice(resume, to)));
    doc.overlay = ov;
    doc.overlayStale = false;
    this.cache.enforce(docId);
    return true;
  }

  /** Puts the predictor at `offset` of the text, reading from the nearest cached state (or
   *  afresh), caching states on the way (up to cacheUpTo: past it the text is a preview). False
   *  when cancelled. */
  private readTo(doc: DocStates, text: string, offset: number, header: string, cancelled: () => boolean, cacheUpTo: number): boolean {
    const pred = this.predictor;
    const near = doc.nearest(Math.min(offset, cacheUpTo));
    let pos: number;
    if (near && offset - near.pos <= this.maxCatchUp && near.pos >= doc.anchor) {
      pred.loadLstm(near.state);
      pred.setContext(this.idsBefore(text, near.pos, header));
      near.tick = this.cache.tick();
      pos = near.pos;
    } else {
      doc.clear();
      pos = this.anchorFor(text, offset);
      doc.anchor = pos;
      pred.reset();
      pred.prime(this.model.encode(header));
      pred.setContext(this.idsBefore(text, pos, header));
      if (pos <= cacheUpTo) doc.add(pos, pred.save().lstm, 'line', this.cache.tick());
    }
    // line by line (long lines in chunks), a state cached at each end; far from the cursor a
    // block at a time, near it one character at a time so that the mixer learns from it
    const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
    const tail = Math.max(lineStart, offset - this.chunk);
    const learnFrom = offset - this.learnTail;
    while (pos < tail) {
      if (cancelled()) return false;
      const nl = text.indexOf('\n', pos);
      let end = Math.min(nl < 0 || nl >= tail ? tail : nl + 1, pos + this.chunk);
      end = safeCut(text, end);
      if (end <= pos) end = tail;
      const ids = this.model.encode(text.slice(pos, end));
      if (end <= learnFrom) pred.prime(ids);
      else if (pred.read(ids, true, cancelled, this.scratch) < ids.length) return false;
      pos = end;
      if (pos <= cacheUpTo) doc.add(pos, pred.save().lstm, 'line', this.cache.tick());
    }
    // the cursor's line so far
    if (pos < offset) {
      const ids = this.model.encode(text.slice(pos, offset));
      if (pred.read(ids, true, cancelled, this.scratch) < ids.length) return false;
      if (offset <= cacheUpTo) doc.add(offset, pred.save().lstm, 'cursor', this.cache.tick());
    }
    return true;
  }

  /** Where to start reading for a cursor far from any cached state: the first line start within
   *  `window` characters before it (on a very long line, `window` characters back). */
  private anchorFor(text: string, offset: number): number {
    const from = offset - this.window;
    if (from <= 0) return 0;
    const nl = text.indexOf('\n', from - 1);
    if (nl >= 0 && nl < offset) return nl + 1;
    return safeCut(text, from);
  }

  /** The ids of the text just before pos that the n-gram needs (the header when near the start). */
  private idsBefore(text: string, pos: number, header: string): Int32Array {
    const n = Math.max(0, this.predictor.order - 1);
    if (n === 0) return new Int32Array(0);
    const from = Math.max(0, pos - 2 * n);
    const ids = this.model.encode(from === 0 ? header + text.slice(0, pos) : text.slice(from, pos));
    return ids.subarray(Math.max(0, ids.length - n));
  }
}

/** The settings that change what is decoded. */
function settingsKey(s: DecodeSettings): string {
  return `${s.component}|${s.strategy}|${s.beamWidth}|${s.scope}|${s.maxChars}|${s.maxLines}|${s.threshold}`;
}

/** i moved back off the middle of a surrogate pair. */
function safeCut(text: string, i: number): number {
  if (i > 0 && i < text.length) {
    const c = text.charCodeAt(i - 1);
    if (c >= 0xd800 && c <= 0xdbff) return i - 1;
  }
  return i;
}
