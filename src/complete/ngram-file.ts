// The n-gram counts of the training corpus, stored beside the checkpoint: `model.safetensors` ->
// `model.ngram.bin`. Built from the same ids the LSTM trains on (headers included), so the two
// read the same streams. The file says which vocabulary it counts over (a fingerprint of the
// checkpoint's character list: a stale file from another model is refused, not misread) and
// which file extensions the corpus had (the languages completions are offered for), and a
// little held-out text (a few validation files, their headers included) that a new model's
// mixer learns its first weights from: a mixer that starts from scratch trusts the LSTM and
// the n-gram equally, and needs thousands of characters to learn better.
//
// Layout, little-endian: uint32 magic "LLNC", uint32 version, uint32 byte length m of a UTF-8
// JSON object {"vocab", "extensions", "order", "calibration": {"files", "streams"}}, padded with
// spaces to a multiple of 4 bytes, then CharNGram.serialize()'s bytes (which carry their own
// checksum).
import { fileHeader } from '../corpus/build';
import { CharNGram } from './ngram';

/** The n-gram order completions count with (the 10-gram of the measurements). */
export const NGRAM_ORDER = 10;
/** Characters of held-out text stored for the mixer's warm-up (whole files, up to this). */
export const CALIBRATION_CHARS = 16_000;
const MAGIC = 0x434e4c4c;   // "LLNC"
const VERSION = 1;

export interface Calibration {
  /** The files the streams come from (a benchmark leaves them out of its test set). */
  files: string[];
  /** Each a file's header and text. */
  streams: string[];
}

export interface NGramFile {
  ngram: CharNGram;
  vocab: string;
  extensions: string[];
  calibration: Calibration;
}

/** Whole held-out files, in order, up to `max` characters (the first file cut at a line end when
 *  it alone is longer). */
export function pickCalibration(files: readonly { relPath: string; text: string }[], max = CALIBRATION_CHARS): Calibration {
  const out: Calibration = { files: [], streams: [] };
  let used = 0;
  for (const f of files) {
    let stream = fileHeader(f.relPath) + f.text;
    if (used + stream.length > max) {
      if (used > 0) break;
      const cut = stream.lastIndexOf('\n', max);
      stream = stream.slice(0, cut > 0 ? cut + 1 : max);
    }
    out.files.push(f.relPath);
    out.streams.push(stream);
    used += stream.length;
  }
  return out;
}


/** A short fingerprint of a vocabulary (FNV-1a over its characters, in order). */
export function vocabFingerprint(chars: readonly string[]): string {
  let h = 0x811c9dc5;
  const s = chars.join('\u0000');
  for (let i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 0x01000193); }
  return `${chars.length}-${(h >>> 0).toString(16).padStart(8, '0')}`;
}

/** Counts one stream of ids (the whole training text) and compacts the counts. */
export function buildCorpusNGram(ids: Int32Array, vocabSize: number, order = NGRAM_ORDER): CharNGram {
  const ng = new CharNGram(order, vocabSize);
  ng.addText(ids);
  ng.compact();
  return ng;
}

/** The file extensions among corpus paths ('.ts', '.py', or a name without one, like 'Makefile'). */
export function extensionsOf(relPaths: readonly string[]): string[] {
  const out = new Set<string>();
  for (const p of relPaths) {
    const base = p.slice(p.lastIndexOf('/') + 1);
    const dot = base.lastIndexOf('.');
    out.add(dot > 0 ? base.slice(dot).toLowerCase() : base);
  }
  return [...out].sort();
}

export function encodeNGramFile(ngram: CharNGram, vocab: readonly string[], extensions: readonly string[],
  calibration: Calibration = { files: [], streams: [] }): Uint8Array {
  const json = JSON.stringify({ vocab: vocabFingerprint(vocab), extensions: [...extensions], order: ngram.order, calibration });
  const utf8 = new TextEncoder().encode(json);
  const meta = new Uint8Array(Math.ceil(utf8.length / 4) * 4).fill(0x20);
  meta.set(utf8);
  const body = ngram.serialize();
  const out = new Uint8Array(12 + meta.length + body.length);
  const u32 = new DataView(out.buffer);
  u32.setUint32(0, MAGIC, true); u32.setUint32(4, VERSION, true); u32.setUint32(8, meta.length, true);
  out.set(meta, 12);
  out.set(body, 12 + meta.length);
  return out;
}

/** Reads encodeNGramFile's bytes; refuses anything malformed with one sentence. */
export function decodeNGramFile(bytes: Uint8Array): NGramFile {
  const fail = (why: string): never => { throw new Error(`Not a valid n-gram file: ${why}.`); };
  if (bytes.length < 12) fail('it is too short');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(0, true) !== MAGIC) fail('it does not start with the n-gram file signature');
  if (dv.getUint32(4, true) !== VERSION) fail(`version ${dv.getUint32(4, true)} is not the supported ${VERSION}`);
  const m = dv.getUint32(8, true);
  if (m % 4 !== 0 || 12 + m > bytes.length) fail('its header is cut short');
  let meta: { vocab?: unknown; extensions?: unknown; calibration?: { files?: unknown; streams?: unknown } };
  try {
    meta = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(12, 12 + m)));
  } catch {
    return fail('its header is not JSON');
  }
  if (!meta || typeof meta !== 'object' || Array.isArray(meta)) fail('its header is not a JSON object');
  if (typeof meta.vocab !== 'string') fail('its header names no vocabulary');
  const strings = (a: unknown): string[] => (Array.isArray(a) ? a.filter((e): e is string => typeof e === 'string') : []);
  const extensions = strings(meta.extensions);
  const calibration = { files: strings(meta.calibration?.files), streams: strings(meta.calibration?.streams) };
  let ngram: CharNGram;
  try {
    ngram = CharNGram.deserialize(bytes.subarray(12 + m));
  } catch (e) {
    return fail((e as Error).message.replace(/^Not a valid n-gram model: /, '').replace(/\.$/, ''));
  }
  return { ngram, vocab: meta.vocab as string, extensions, calibration };
}
