// What the adaptive predictor learned that is worth keeping across sessions, as bytes beside the
// model (model.adaptive.bin): the mixer's weights, the SSE maps, the match model's confidence
// table. (The stream counts and the match history are the session's text: never saved.)
//
// Layout, little-endian uint32 words: magic "LLAD", format version, V, a hash of the vocabulary,
// a hash of the predictor's shape (its components, orders and weight sets), the number of
// sections; then each section as its length n and n float32; last, a checksum of every word
// before it. Loading checks all of it: a file that is corrupt, from another vocabulary or of
// another shape is refused with one sentence, and the caller starts from a fresh predictor.
import * as fs from 'node:fs';
import type { AdaptivePredictor } from './adaptive-predictor';
import { writeFileAtomic } from '../../model-files/atomic-write';
import { readModelFile } from '../../model-files/read-model-file';

const MAGIC = 0x44414c4c;      // "LLAD"
const VERSION = 1;
const HEADER_WORDS = 6;
const STATE_FILE = { what: 'adaptive predictor state', maxBytes: 256 * 1024 * 1024, because: ', far more than any mixer LSTM Lens builds' };

/** The learned arrays, in file order. */
function sections(p: AdaptivePredictor): (Float32Array | Float64Array)[] {
  const out: (Float32Array | Float64Array)[] = [p.mixer.weights];
  if (p.sse) out.push(p.sse.top.table, p.sse.match.table);
  if (p.match) out.push(p.match.confidenceTable);
  return out;
}

function shapeHash(p: AdaptivePredictor): number {
  const desc = JSON.stringify({ parts: p.components.map((c) => [c.name, c.outputs]), mixer: p.mixer.shape, sse: p.sse !== null, counts: p.counts?.orders ?? [] });
  return fnv(desc);
}

export function encodeAdaptiveState(p: AdaptivePredictor, vocab: readonly string[]): Uint8Array {
  const secs = sections(p);
  const words = HEADER_WORDS + secs.reduce((n, s) => n + 1 + s.length, 0) + 1;
  const buf = new ArrayBuffer(words * 4);
  const u32 = new Uint32Array(buf), f32 = new Float32Array(buf);
  u32.set([MAGIC, VERSION, p.V, fnv(vocab.join('\u0000')), shapeHash(p), secs.length]);
  let at = HEADER_WORDS;
  for (const s of secs) { u32[at++] = s.length; f32.set(s, at); at += s.length; }
  u32[at] = checksum(u32, at);
  return new Uint8Array(buf);
}

/** Puts the learned state of bytes into p; throws one sentence (and leaves p untouched) when the
 *  bytes are not a state of this predictor. */
export function decodeAdaptiveState(bytes: Uint8Array, p: AdaptivePredictor, vocab: readonly string[]): void {
  const fail = (why: string): never => { throw new Error(`The adaptive predictor's saved state cannot be used: ${why}.`); };
  if (bytes.length < (HEADER_WORDS + 1) * 4 || bytes.length % 4 !== 0) fail('it is too short or not a whole number of words');
  const buf = bytes.slice().buffer;
  const u32 = new Uint32Array(buf), f32 = new Float32Array(buf);
  if (u32[0] !== MAGIC) fail('it does not start with the state signature');
  if (u32[1] !== VERSION) fail(`format version ${u32[1]} is not the supported ${VERSION}`);
  if (checksum(u32, u32.length - 1) !== u32[u32.length - 1]) fail('the checksum does not match (the data is corrupted)');
  if (u32[2] !== p.V || u32[3] !== fnv(vocab.join('\u0000'))) fail('it belongs to a model with another vocabulary');
  const secs = sections(p);
  if (u32[4] !== shapeHash(p) || u32[5] !== secs.length) fail('it was learned by a predictor of another shape');
  let at = HEADER_WORDS;
  const views: Float32Array[] = [];
  for (const s of secs) {
    if (at >= u32.length - 1 || u32[at] !== s.length) fail('a section\'s size does not match the predictor');
    const v = f32.subarray(at + 1, at + 1 + s.length);
    for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) fail('a learned value is not a finite number');
    views.push(v);
    at += 1 + s.length;
  }
  if (at !== u32.length - 1) fail('its size does not match its sections');
  secs.forEach((s, i) => s.set(views[i]));
}

export function saveAdaptiveState(file: string, p: AdaptivePredictor, vocab: readonly string[]): void {
  writeFileAtomic(file, encodeAdaptiveState(p, vocab), STATE_FILE.what);
}

/** Loads the state at `file` into p when it is there and valid. Returns a sentence when a file was
 *  there but refused (p is then as it was: the caller warms it up afresh), else undefined. */
export function loadAdaptiveState(file: string, p: AdaptivePredictor, vocab: readonly string[]): { loaded: boolean; notice?: string } {
  if (!fs.existsSync(file)) return { loaded: false };
  try {
    decodeAdaptiveState(readModelFile(file, STATE_FILE), p, vocab);
    return { loaded: true };
  } catch (e) {
    return { loaded: false, notice: `${(e as Error).message.replace(/\.$/, '')} (${file}); it is learned again from the start.` };
  }
}

function fnv(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function checksum(u32: Uint32Array, n: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < n; i++) h = Math.imul(h ^ u32[i], 0x01000193);
  return h >>> 0;
}
