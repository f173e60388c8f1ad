// The adaptive predictor of one model session in the completion worker (issue 15): it reads the
// documents the user edits and completes in, each character once, and keeps learning from them
// (the stream counts, the match model, the mixer, the SSE, and the LSTM's output layer by dynamic
// evaluation), all in memory: the trained checkpoint is never written.
//
// Reading (work(stop), in the worker's idle slices):
//   - each document has a mark, "read up to here", and a limit, the last cursor known in it (a
//     request's offset, or the end of the last edit); only [mark, limit) is read, never the text
//     after the cursor. A document without a known cursor is not read.
//   - an edit that starts before the mark moves the mark back to the edit: reading goes on from
//     there (what followed the edit and was read before is read again when the cursor passes it).
//   - the predictor reads one stream at a time. Moving to another document, or back after an
//     edit behind the stream, starts a new stream at that document's mark, with no context (the
//     match model needs MIN_LEN characters again before it can match).
//   - reading only queues the LSTM's learning; adaptPending(stop) runs it every LEARN_EVERY
//     characters read, one step at a time, so a request waits at most one step behind it.
//
// A request (proposal()): when the stream is at this document and near its cursor, the session
// reads on to the cursor (text before it, learned as any other) and offers the match model's
// continuation with its learned confidence; the predict() that finds it (and the advance() over a
// suggest widget's item) is undone with save()/restore(), so nothing is learned from the request.
import type { CompletionModel } from '../completion-model';
import type { Proposal } from '../decode';
import { AdaptivePredictor } from './adaptive-predictor';
import { dynamicLstmLike, dynamicLstmOf } from './dynamic-component';
import type { DynamicLstm } from './dynamic-lstm';

/** A request reads at most this many characters to reach its cursor; farther, no proposal. */
const CATCH_UP = 256;
/** Characters of a proposal at most (the decoder cuts it to the line or block anyway). */
const PROPOSAL_MAX = 512;
/** Characters read between two runs of the queued learning. */
const LEARN_EVERY = 256;
/** Code units read between two stop() questions (a few LSTM steps). */
const BLOCK = 8;

interface ReadState {
  /** Characters before this are read. */
  mark: number;
  /** The last cursor known (−1: none yet): nothing at or after it is read. */
  limit: number;
}

export class ReadingSession {
  readonly predictor: AdaptivePredictor;
  readonly lstm: DynamicLstm;
  private readonly docs = new Map<string, ReadState>();
  private stream: string | null = null;      // the document the predictor's stream is at (its mark)
  private readonly scratch: Float32Array;
  /** The document to read first (the one last completed in). */
  focus: string | null = null;
  /** Characters read, over all documents. */
  charsRead = 0;

  /** textOf: a document's current text (undefined: not open). */
  constructor(readonly model: CompletionModel, private readonly textOf: (uri: string) => string | undefined) {
    this.lstm = dynamicLstmOf(model, 'output');
    this.predictor = new AdaptivePredictor(model, { lstm: dynamicLstmLike(this.lstm, 'deferred') });
    this.scratch = new Float32Array(model.V);
  }

  /** The cursor is at offset (a request's). */
  cursorAt(uri: string, offset: number): void {
    this.state(uri).limit = offset;
  }

  /** Text from start on was replaced by newLength characters (the cursor is after them). */
  edited(uri: string, start: number, newLength: number): void {
    const s = this.state(uri);
    if (start < s.mark) {
      s.mark = start;
      if (this.stream === uri) this.stream = null;
    }
    s.limit = start + newLength;
  }

  /** The document is closed (or resent whole under another header): its mark is forgotten. */
  forget(uri: string): void {
    this.docs.delete(uri);
    if (this.stream === uri) this.stream = null;
    if (this.focus === uri) this.focus = null;
  }

  /** Text not read yet, or learning queued. */
  get hasWork(): boolean {
    return this.nextDoc() !== null || this.lstm.pendingChars > 0;
  }

  /** Reads, then learns, until there is nothing left (true) or stop(), asked before every
   *  few characters and every learning step, says stop. */
  work(stop: () => boolean): boolean {
    // learning runs every LEARN_EVERY characters read: its queue stays short (a full one drops
    // what it cannot hold unlearned)
    for (let uri = this.nextDoc(); uri !== null; uri = this.nextDoc()) {
      if (!this.lstm.adaptPending(stop) || !this.readOn(uri, LEARN_EVERY, stop)) return false;
    }
    return this.lstm.adaptPending(stop);
  }

  /** The match model's continuation at the cursor of a document, with its confidence; null when
   *  the session is not there (reading elsewhere, or more than CATCH_UP characters behind).
   *  then: characters after the cursor that are not the document's (the suggest widget's item):
   *  moved past without learning, the continuation is what follows them. */
  proposal(uri: string, offset: number, stop: () => boolean, then?: Int32Array): Proposal | null {
    this.cursorAt(uri, offset);
    const s = this.state(uri);
    const text = this.textOf(uri);
    if (text === undefined || offset > text.length || offset - s.mark > CATCH_UP) return null;
    if (this.stream !== uri && s.mark > 0) return null;
    if (!this.readOn(uri, CATCH_UP, stop) || s.mark !== offset) return null;
    const p = this.predictor;
    const at = p.save();
    p.predict(this.scratch);
    for (const id of then ?? []) { p.advance(id); p.predict(this.scratch); }
    const ids = p.continuation(PROPOSAL_MAX);
    const confidence = p.match?.confidence ?? 0;
    p.restore(at);
    return ids.length ? { ids, confidence } : null;
  }

  /** Reads the document on from its mark toward its limit (at most max characters). False when
   *  stop() said stop before the limit. */
  private readOn(uri: string, max: number, stop: () => boolean): boolean {
    const s = this.state(uri);
    const text = this.textOf(uri);
    if (text === undefined) return true;
    const end = Math.min(s.limit, text.length, s.mark + max);
    if (s.mark >= end) return true;
    if (this.stream !== uri) { this.predictor.reset(); this.stream = uri; }
    const p = this.predictor, out = this.scratch;
    // BLOCK code units at a time (never half a surrogate pair), stop() asked before each block
    while (s.mark < end) {
      if (stop()) return false;
      let to = Math.min(end, s.mark + BLOCK);
      if (to < text.length && isHighSurrogate(text.charCodeAt(to - 1))) to = to - 1 > s.mark ? to - 1 : to + 1;
      const ids = this.model.encode(text.slice(s.mark, to));
      for (let i = 0; i < ids.length; i++) { p.predict(out); p.update(ids[i]); }
      this.charsRead += ids.length;
      s.mark = to;
    }
    return true;
  }

  /** The document to read next: the focus, then the stream's, then any; null when all is read. */
  private nextDoc(): string | null {
    const unread = (uri: string | null): boolean => {
      if (uri === null) return false;
      const s = this.docs.get(uri), text = this.textOf(uri);
      return !!s && text !== undefined && s.mark < Math.min(s.limit, text.length);
    };
    if (unread(this.focus)) return this.focus;
    if (unread(this.stream)) return this.stream;
    for (const uri of this.docs.keys()) if (unread(uri)) return uri;
    return null;
  }

  private state(uri: string): ReadState {
    let s = this.docs.get(uri);
    if (!s) { s = { mark: 0, limit: -1 }; this.docs.set(uri, s); }
    return s;
  }
}

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}
