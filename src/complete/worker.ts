// The completion worker (dist/completion-worker.js): every completion is computed here, never on
// the extension host's thread. It keeps a copy of each open document's text (sent whole once,
// then as edits), the loaded model and its completion engine (with the per-document state
// cache), and answers requests in the order they come. After a model loads, its mixer learns its
// first weights from the held-out text stored beside the counts, a slice at a time between
// requests. When it has been idle for a moment, it recounts the n-gram overlay of the document
// last completed in (it costs a few microseconds per character, too much for a keystroke).
// Between requests, in slices of READ_SLICE_MS, the model session's adaptive predictor reads
// the text before the cursor of the documents edited and completed in and learns from it
// (adaptive/reading-session.ts, in memory only); a request gets its match model's continuation
// as the decoder's proposal.
//
// Messages: CompletionHostMessage in, CompletionWorkerMessage out (src/complete/protocol.ts).
// Nothing a message carries can end the worker: a failure becomes a result with reason 'error'
// or a 'load-failed' message.
import { parentPort, receiveMessageOnPort } from 'node:worker_threads';
import { Completer } from './completer';
import { LogisticMixer } from './mixer';
import { StreamScorer } from './score';
import { loadCompletionModel } from './load';
import type { CompletionModel } from './completion-model';
import type { CompletionHostMessage, CompletionWorkerMessage, LoadedInfo, SuggestPreview } from './protocol';
import { Component, decodeSettings } from './decode-settings';
import { pickKernels } from '../runtime/kernels';
import { ReadingSession } from './adaptive/reading-session';

const port = parentPort!;
const post = (m: CompletionWorkerMessage) => port.postMessage(m);
const IDLE_MS = 600;
/** A warm-up slice: short enough that a request waits at most this long behind it. */
const WARMUP_SLICE_MS = 15;
/** A slice of the adaptive predictor's reading and learning at most (it ends sooner when a
 *  message arrives: a request waits one reading or learning step behind it). */
const READ_SLICE_MS = 4;

interface Doc { text: string; version: number; header: string }

const docs = new Map<string, Doc>();
let engine: Completer | null = null;
let info: LoadedInfo | null = null;
let kernels: ReturnType<typeof pickKernels>['kernels'] | null = null;
let idleTimer: NodeJS.Timeout | undefined;
let warmup: StreamScorer | null = null;
let lastDoc: string | undefined;
let reading: ReadingSession | null = null;
let readingQueued = false;

function describe(path: string, model: CompletionModel, steps: number, valBpc: number | undefined): LoadedInfo {
  const c = model.rnn.config;
  return { checkpointPath: path, steps, valBpc, extensions: model.extensions, hasNGram: model.ngram !== null, cell: c.cell, layers: c.layers, hidden: c.hidden };
}

function load(path: string, force: boolean): void {
  kernels ??= pickKernels('auto').kernels;
  let loaded;
  try {
    loaded = loadCompletionModel(path, kernels);
  } catch (e) {
    // the stored model is unreadable: offer nothing rather than completions from a model that is gone
    engine = null; info = null; warmup = null; reading = null;
    post({ type: 'load-failed', checkpointPath: path, message: (e as Error).message });
    return;
  }
  const h = loaded.checkpoint.training.valBpcHistory;
  const next = describe(path, loaded.model, loaded.checkpoint.training.steps, h.length ? h[h.length - 1][1] : undefined);
  if (!force && info && engine && info.checkpointPath === path && next.steps >= info.steps
    && info.valBpc !== undefined && next.valBpc !== undefined && next.valBpc > info.valBpc && info.hasNGram === next.hasNGram) {
    post({ type: 'kept', info, reason: `the saved model scores ${next.valBpc.toFixed(3)} bits/char, worse than the ${info.valBpc.toFixed(3)} of the one in use` });
    return;
  }
  const model = loaded.model;
  const mixer = new LogisticMixer(2, model.V);
  engine = new Completer(model, { mixer, editorRules: true });
  warmup = model.ngram && model.calibration.length ? new StreamScorer(model, model.calibration.map((t) => model.encode(t)), { mixer }) : null;
  setImmediate(warmSlice);
  reading = new ReadingSession(model, (uri) => docs.get(uri)?.text);
  info = next;
  post({ type: 'loaded', info, notice: loaded.notice });
}

/** Queues a slice of the adaptive predictor's reading when it has work (one at a time). */
function queueReading(): void {
  if (readingQueued || !reading?.hasWork) return;
  readingQueued = true;
  setImmediate(readSlice);
}

/** Messages taken off the port while a slice was running, handled as soon as it ends (in order:
 *  nothing later can be delivered before them). */
const arrived: CompletionHostMessage[] = [];

/** Whether a message is waiting (asked between two steps of a slice). */
function messageWaiting(): boolean {
  if (arrived.length > 0) return true;
  const m = receiveMessageOnPort(port);
  if (!m) return false;
  arrived.push(m.message as CompletionHostMessage);
  return true;
}

/** One slice of reading and learning, until a message is waiting or READ_SLICE_MS have passed. */
function readSlice(): void {
  readingQueued = false;
  const r = reading;
  if (!r) return;
  const end = performance.now() + READ_SLICE_MS;
  try {
    r.work(() => messageWaiting() || performance.now() >= end);
  } catch {
    // the adaptive predictor is an improvement only: a failure ends it for this model session
    if (reading === r) reading = null;
  }
  while (arrived.length > 0) handle(arrived.shift()!);
  queueReading();
}

/** One slice of the mixer's warm-up; the next is queued behind whatever messages arrived. */
function warmSlice(): void {
  const w = warmup;
  if (!w) return;
  const end = performance.now() + WARMUP_SLICE_MS;
  while (performance.now() < end) if (w.step(32)) break;
  if (w.done) { if (warmup === w) warmup = null; return; }
  setImmediate(warmSlice);
}

function applyChanges(doc: Doc, uri: string, m: Extract<CompletionHostMessage, { type: 'change' }>): void {
  for (const c of m.changes) {
    const start = Math.max(0, Math.min(c.start, doc.text.length));
    const end = Math.max(start, Math.min(c.end, doc.text.length));
    doc.text = doc.text.slice(0, start) + c.text + doc.text.slice(end);
    engine?.edit(uri, start, end, c.text.length);
    reading?.edited(uri, start, c.text.length);
  }
  doc.version = m.version;
}

/** A document's whole text: new, or resent (then only what differs invalidates cached states). */
function open(m: Extract<CompletionHostMessage, { type: 'open' }>): void {
  const old = docs.get(m.uri);
  docs.set(m.uri, { text: m.text, version: m.version, header: m.header });
  if (!engine) return;
  if (!old || old.header !== m.header) { engine.forget(m.uri); reading?.forget(m.uri); return; }
  const a = old.text, b = m.text;
  let pre = 0;
  const n = Math.min(a.length, b.length);
  while (pre < n && a.charCodeAt(pre) === b.charCodeAt(pre)) pre++;
  let suf = 0;
  while (suf < n - pre && a.charCodeAt(a.length - 1 - suf) === b.charCodeAt(b.length - 1 - suf)) suf++;
  if (pre < a.length || pre < b.length) {
    engine.edit(m.uri, pre, a.length - suf, b.length - suf - pre);
    reading?.edited(m.uri, pre, b.length - suf - pre);
  }
}

function complete(m: Extract<CompletionHostMessage, { type: 'complete' }>): void {
  const empty = { items: [], fed: 0, steps: 0, ms: 0 };
  if (!engine) return post({ type: 'result', id: m.id, ...empty, reason: 'no-model' });
  const doc = docs.get(m.uri);
  if (!doc || doc.version !== m.version || (m.length !== undefined && doc.text.length !== m.length)) return post({ type: 'result', id: m.id, ...empty, reason: 'unsynced' });
  const flag = m.cancel ? new Int32Array(m.cancel) : null;
  const cancelled = () => flag !== null && Atomics.load(flag, 0) !== 0;
  try {
    const header = engine.model.fileStart(doc.header);
    const settings = decodeSettings(m.settings);
    const p = previewIn(doc.text, m.preview);
    const r = p
      ? engine.complete({ docId: m.uri, text: p.text, offset: p.offset, header, settings, previewFrom: p.from, proposal: previewProposal(m, doc.text, settings.component, cancelled) }, cancelled)
      : engine.complete({ docId: m.uri, text: doc.text, offset: m.offset, header, settings, proposal: proposalAt(m.uri, m.offset, settings.component, cancelled) }, cancelled);
    post({ type: 'result', id: m.id, items: r.items, reason: r.reason, fed: r.fed, steps: r.steps, ms: r.ms });
  } catch (e) {
    // a bug must not end completions for the session: forget the document's cache and go on
    engine.forget(m.uri);
    post({ type: 'result', id: m.id, ...empty, reason: 'error', message: (e as Error).message });
  }
  lastDoc = m.uri;
}

/** The adaptive predictor's match continuation at the cursor (none without one, or on failure).
 *  Only for the mixture: a request for the LSTM's or the n-gram's completion gets theirs alone. */
function proposalAt(uri: string, offset: number, component: Component, cancelled: () => boolean, then?: Int32Array) {
  const r = reading;
  if (!r) return undefined;
  r.focus = uri;
  if (component !== 'mixture') { r.cursorAt(uri, offset); return undefined; }
  try {
    return r.proposal(uri, offset, cancelled, then) ?? undefined;
  } catch {
    if (reading === r) reading = null;
    return undefined;
  }
}

/** With the suggest widget's item put in: when it starts with the text it replaces, up to the
 *  cursor (the word typed so far), the continuation after the rest of the item. */
function previewProposal(m: Extract<CompletionHostMessage, { type: 'complete' }>, text: string, component: Component, cancelled: () => boolean) {
  const p = m.preview!;
  if (!engine || p.end !== m.offset || !p.text.startsWith(text.slice(p.start, p.end))) return undefined;
  return proposalAt(m.uri, m.offset, component, cancelled, engine.model.encode(p.text.slice(p.end - p.start)));
}

/** The document's text with the suggest widget's item put in, the cursor after it; null without
 *  one (or one that does not fit the text). */
function previewIn(text: string, p: SuggestPreview | undefined): { text: string; offset: number; from: number } | null {
  if (!p || typeof p.text !== 'string' || !(p.start >= 0 && p.start <= p.end && p.end <= text.length)) return null;
  return { text: text.slice(0, p.start) + p.text + text.slice(p.end), offset: p.start + p.text.length, from: p.start };
}

/** Idle work: the n-gram overlay of the document last completed in. */
function onIdle(): void {
  const uri = lastDoc;
  const doc = uri !== undefined ? docs.get(uri) : undefined;
  if (!engine || !doc || uri === undefined) return;
  try {
    engine.refreshOverlay(uri, doc.text, engine.model.fileStart(doc.header));
  } catch {
    /* the overlay is an improvement only */
  }
}

function handle(m: CompletionHostMessage): void {
  clearTimeout(idleTimer);
  switch (m.type) {
    case 'load': load(m.checkpointPath, m.force); break;
    case 'unload': engine = null; info = null; warmup = null; reading = null; post({ type: 'unloaded' }); break;
    case 'open': open(m); break;
    case 'change': {
      const doc = docs.get(m.uri);
      if (doc) applyChanges(doc, m.uri, m);
      break;
    }
    case 'close': docs.delete(m.uri); engine?.forget(m.uri); reading?.forget(m.uri); break;
    case 'complete': complete(m); break;
  }
  queueReading();
  idleTimer = setTimeout(onIdle, IDLE_MS);
  idleTimer.unref();
}

port.on('message', handle);
