// Decoding a completion from a next-character distribution: greedy (the most likely character,
// fed back in) or beam search (the `beamWidth` most likely continuations, ranked by bits per
// character). To the end of the line by default (the newline is never part of it); with scope
// 'block' on over lines until the brackets open at the cursor and opened since are all closed.
//
// Rules applied while decoding: UNK is never generated; after indentation the first character
// is not whitespace; `cancelled()` is checked before every step (a cancelled decode returns
// nothing). Confidence is the mean of −log2 p over the generated characters, with p the
// distribution's own probability (before any masking), so a forced choice costs what it is worth.
import { bracketDelta, isBlankCode, isNewlineCode } from './rules';
import type { DecodeSettings } from './decode-settings';

/** A next-character distribution that can move forward and come back. */
export interface StepSource<S> {
  readonly V: number;
  dist(out: Float32Array): Float32Array;
  push(id: number): void;
  save(): S;
  restore(s: S): void;
}

/** A continuation proposed whole by another model (the match model of issue 15: the text that
 *  followed the last time this context occurred), with its confidence: the probability, as that
 *  model estimates it, that the continuation is right. */
export interface Proposal {
  ids: Int32Array;
  confidence: number;
}

/** A proposal at least this sure is decoded first, whole (as far as the line's rules let it). */
export const TAKE_PROPOSAL_AT = 0.5;

export interface DecodeInput<S> {
  source: StepSource<S>;
  /** Code point of each id; −1 marks ids never generated (UNK). */
  codes: Int32Array;
  settings: Pick<DecodeSettings, 'strategy' | 'beamWidth' | 'scope' | 'maxChars' | 'maxLines' | 'alternatives'>;
  /** The cursor follows indentation: the first character must not be whitespace. */
  noLeadingBlank: boolean;
  /** Brackets open on the cursor's line before it (scope 'block'). */
  openDepth?: number;
  cancelled?: () => boolean;
  /** A continuation to take whole when it is sure enough (TAKE_PROPOSAL_AT): it comes first, cut
   *  by the same rules as a decoded one (the line's end, the character cap, no UNK, no leading
   *  blank), its bits those of the source's distribution; the decoder's own follow it. */
  proposal?: Proposal;
}

export interface Decoded {
  ids: Int32Array;
  /** Total bits (−log2 p) of the generated characters. */
  bits: number;
  /** bits / characters: the confidence measure (lower is surer). */
  meanBits: number;
}

export interface DecodeOutput {
  /** Best first; never empty completions. */
  completions: Decoded[];
  cancelled: boolean;
  /** Distributions computed (the cost of the decode). */
  steps: number;
}

/** Where a hypothesis stands: its bracket depth and lines. */
interface Shape { depth: number; lines: number }

export function decode<S>(input: DecodeInput<S>): DecodeOutput {
  const k = Math.max(1, input.settings.alternatives);
  const own = () => (input.settings.strategy === 'beam' ? beam(input, Math.max(k, input.settings.beamWidth), k) : greedy(input, k));
  const p = input.proposal;
  if (!p || !(p.confidence >= TAKE_PROPOSAL_AT) || p.ids.length === 0) return own();
  const taken = scoreProposal(input, p.ids);
  if (taken.cancelled || !taken.decoded) return taken.cancelled ? { completions: [], cancelled: true, steps: taken.steps } : own();
  const rest = own();
  if (rest.cancelled) return { ...rest, steps: rest.steps + taken.steps };
  return { completions: dedupe([taken.decoded, ...rest.completions]).slice(0, k), cancelled: false, steps: taken.steps + rest.steps };
}

/** A proposal as far as the decoding rules let it go, scored by the source (teacher forced). */
function scoreProposal<S>(input: DecodeInput<S>, proposal: Int32Array): { decoded: Decoded | null; cancelled: boolean; steps: number } {
  const { source, codes, settings } = input;
  const p = new Float32Array(source.V);
  const start = source.save();
  const shape: Shape = { depth: input.openDepth ?? 0, lines: 0 };
  const ids: number[] = [], bitsPer: number[] = [];
  let steps = 0;
  for (const id of proposal) {
    if (input.cancelled?.() === true) { source.restore(start); return { decoded: null, cancelled: true, steps }; }
    if (!allowed(codes, id, ids.length, input.noLeadingBlank) || endsBefore(codes[id], shape, settings.scope, settings.maxLines)) break;
    if (ids.length > 0) source.push(ids[ids.length - 1]);
    source.dist(p); steps++;
    ids.push(id); bitsPer.push(-Math.log2(Math.max(p[id], 1e-30)));
    shape.depth += bracketDelta(codes[id]);
    if (isNewlineCode(codes[id])) shape.lines++;
    if (ids.length >= charCap(settings)) break;
  }
  source.restore(start);
  return { decoded: settle(ids, bitsPer, shape, settings.scope, codes), cancelled: false, steps };
}

/** Characters generated at most: maxChars per line, over maxLines lines for a block. */
function charCap(s: DecodeInput<unknown>['settings']): number {
  return s.scope === 'block' ? s.maxChars * s.maxLines : s.maxChars;
}

/** Whether id may be generated at this step. */
function allowed(codes: Int32Array, id: number, step: number, noLeadingBlank: boolean): boolean {
  const c = codes[id];
  if (c < 0) return false;
  return !(step === 0 && noLeadingBlank && isBlankCode(c));
}

/** Whether a hypothesis ends before this character (a newline that closes the line or block). */
function endsBefore(code: number, shape: Shape, scope: 'line' | 'block', maxLines: number): boolean {
  if (!isNewlineCode(code)) return false;
  if (scope === 'line') return true;
  return shape.depth <= 0 || shape.lines + 1 >= maxLines;
}

/** The ids that survive a block's balance rule: a block still open at the end is cut back to its
 *  first line. bitsPer holds each id's bits. */
function settle(ids: number[], bitsPer: number[], shape: Shape, scope: 'line' | 'block', codes: Int32Array): Decoded | null {
  let n = ids.length;
  if (scope === 'block' && shape.depth > 0) {
    const nl = ids.findIndex((id) => isNewlineCode(codes[id]));
    if (nl >= 0) n = nl;
  }
  if (n === 0) return null;
  let bits = 0;
  for (let i = 0; i < n; i++) bits += bitsPer[i];
  return { ids: Int32Array.from(ids.slice(0, n)), bits, meanBits: bits / n };
}

function greedy<S>(input: DecodeInput<S>, alternatives: number): DecodeOutput {
  const { source, codes, settings } = input;
  const cap = charCap(settings);
  const p = new Float32Array(source.V);
  const start = source.save();
  const cancelled = () => input.cancelled?.() === true;
  let steps = 0;
  if (cancelled()) return { completions: [], cancelled: true, steps };
  // the first characters of the alternatives: the most probable allowed ones
  source.dist(p); steps++;
  const firsts = topAllowed(p, codes, alternatives, 0, input.noLeadingBlank);
  const firstP = firsts.map((id) => p[id]);
  const out: Decoded[] = [];
  let first: Decoded | null = null;
  for (let a = 0; a < firsts.length; a++) {
    if (a > 0) source.restore(start);
    const shape: Shape = { depth: input.openDepth ?? 0, lines: 0 };
    const ids: number[] = [], bitsPer: number[] = [];
    let id = firsts[a], pid = firstP[a];
    for (;;) {
      const code = codes[id];
      if (endsBefore(code, shape, settings.scope, settings.maxLines)) break;
      ids.push(id); bitsPer.push(-Math.log2(Math.max(pid, 1e-30)));
      shape.depth += bracketDelta(code);
      if (isNewlineCode(code)) shape.lines++;
      if (ids.length >= cap) break;
      if (cancelled()) { source.restore(start); return { completions: [], cancelled: true, steps }; }
      source.push(id);
      source.dist(p); steps++;
      id = argmaxAllowed(p, codes, ids.length, input.noLeadingBlank);
      if (id < 0) break;
      pid = p[id];
    }
    const d = settle(ids, bitsPer, shape, settings.scope, codes);
    if (d) out.push(d);
    if (a === 0) first = d;
  }
  source.restore(start);
  // the plain greedy completion first, the alternatives after it, surest first
  const rest = out.filter((d) => d !== first).sort((x, y) => x.meanBits - y.meanBits);
  return { completions: dedupe(first ? [first, ...rest] : rest), cancelled: false, steps };
}

interface Hyp<S> { state: S; ids: number[]; bitsPer: number[]; bits: number; shape: Shape }
type Finished = Decoded & { rank: number };

function beam<S>(input: DecodeInput<S>, width: number, alternatives: number): DecodeOutput {
  const { source, codes, settings } = input;
  const cap = charCap(settings);
  const p = new Float32Array(source.V);
  const start = source.save();
  const cancelled = () => input.cancelled?.() === true;
  let steps = 0;
  let live: Hyp<S>[] = [{ state: start, ids: [], bitsPer: [], bits: 0, shape: { depth: input.openDepth ?? 0, lines: 0 } }];
  const finished: Finished[] = [];
  // ranked by bits per character, the end of the completion counted as one more character
  const finish = (h: Hyp<S>, endBits: number) => {
    const d = settle(h.ids, h.bitsPer, h.shape, settings.scope, codes);
    if (d) finished.push({ ...d, rank: (h.bits + endBits) / (h.ids.length + 1) });
  };
  const abort = (): DecodeOutput => { source.restore(start); return { completions: [], cancelled: true, steps }; };
  while (live.length > 0 && finished.length < width) {
    const cands: { parent: Hyp<S>; id: number; bits: number }[] = [];
    for (const h of live) {
      if (cancelled()) return abort();
      if (h.ids.length >= cap) { finish(h, 0); continue; }
      source.restore(h.state);
      source.dist(p); steps++;
      for (const id of topAllowed(p, codes, width, h.ids.length, input.noLeadingBlank)) {
        const b = -Math.log2(Math.max(p[id], 1e-30));
        if (endsBefore(codes[id], h.shape, settings.scope, settings.maxLines)) finish(h, b);
        else cands.push({ parent: h, id, bits: h.bits + b });
      }
    }
    cands.sort((a, b) => a.bits - b.bits);
    const next: Hyp<S>[] = [];
    for (const c of cands.slice(0, width)) {
      if (cancelled()) return abort();
      source.restore(c.parent.state);
      source.push(c.id);
      const code = codes[c.id];
      next.push({
        state: source.save(), ids: [...c.parent.ids, c.id], bitsPer: [...c.parent.bitsPer, c.bits - c.parent.bits], bits: c.bits,
        shape: { depth: c.parent.shape.depth + bracketDelta(code), lines: c.parent.shape.lines + (isNewlineCode(code) ? 1 : 0) },
      });
    }
    live = next;
  }
  source.restore(start);
  finished.sort((a, b) => a.rank - b.rank);
  const ranked = finished.map(({ ids, bits, meanBits }) => ({ ids, bits, meanBits }));
  return { completions: dedupe(ranked).slice(0, alternatives), cancelled: false, steps };
}

/** The k most probable allowed ids, best first. */
function topAllowed(p: Float32Array, codes: Int32Array, k: number, step: number, noLeadingBlank: boolean): number[] {
  const best: number[] = [];
  for (let id = 0; id < p.length; id++) {
    if (!allowed(codes, id, step, noLeadingBlank) || !(p[id] > 0)) continue;
    let i = best.length;
    if (i === k && p[id] <= p[best[k - 1]]) continue;
    if (i === k) { best.pop(); i--; }
    while (i > 0 && p[best[i - 1]] < p[id]) i--;
    best.splice(i, 0, id);
  }
  return best;
}

function argmaxAllowed(p: Float32Array, codes: Int32Array, step: number, noLeadingBlank: boolean): number {
  let best = -1, bp = 0;
  for (let id = 0; id < p.length; id++) {
    if (p[id] > bp && allowed(codes, id, step, noLeadingBlank)) { best = id; bp = p[id]; }
  }
  return best;
}

/** Drops repeated completions (same ids), keeping the first. */
function dedupe(list: Decoded[]): Decoded[] {
  const seen = new Set<string>();
  return list.filter((d) => {
    const key = d.ids.join(',');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
