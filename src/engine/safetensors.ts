// The safetensors file format, F32 only, with no fs: bytes in, bytes out.
//
//   [0, 8)        N: header length, unsigned 64-bit little-endian
//   [8, 8+N)      header: UTF-8 JSON object
//                   { "__metadata__": { string: string },
//                     "<name>": { "dtype": "F32", "shape": [..], "data_offsets": [begin, end] }, ... }
//                 padded with spaces so that 8+N is a multiple of 8 (as Python's safetensors does),
//                 which keeps every F32 tensor 4-byte aligned in the file
//   [8+N, EOF)    data: the tensors' bytes, offsets relative to 8+N, contiguous, no gaps, no overlap
//
// The decoder trusts nothing in the file: every refusal is one sentence a person can act on.

export interface NamedTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface DecodedTensor {
  shape: number[];
  data: Float32Array;
}

export interface DecodedSafetensors {
  tensors: Map<string, DecodedTensor>;
  metadata: Record<string, string>;
}

const METADATA_KEY = '__metadata__';
/** Python's safetensors refuses headers over 100 MB; so do we, before allocating anything. */
const MAX_HEADER_BYTES = 100_000_000;
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Dtypes of the safetensors spec, to tell "unsupported" from "not a dtype at all". */
const KNOWN_DTYPES = new Set([
  'BOOL', 'U8', 'I8', 'F8_E5M2', 'F8_E4M3', 'F8_E8M0', 'F4', 'F6_E2M3', 'F6_E3M2',
  'I16', 'U16', 'F16', 'BF16', 'I32', 'U32', 'F32', 'F64', 'I64', 'U64', 'C64',
]);

/** 1234567 -> "1,234,567", so that byte counts read well in messages. */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

const plural = (n: number, one: string, many = one + 's'): string => `${formatCount(n)} ${n === 1 ? one : many}`;

/** Encodes tensors (in the order given) and string metadata into one safetensors file. */
export function encodeSafetensors(tensors: NamedTensor[], metadata: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') throw new Error(`Safetensors metadata must be strings, but "${k}" is a ${typeof v}.`);
  }
  if (Object.keys(metadata).length > 0) header[METADATA_KEY] = metadata;
  let offset = 0;
  for (const t of tensors) {
    if (t.name === METADATA_KEY || t.name in header) throw new Error(`Tensor name "${t.name}" is used twice or is reserved.`);
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (!t.shape.every((d) => Number.isInteger(d) && d >= 0) || count !== t.data.length) {
      throw new Error(`Tensor ${t.name} has ${formatCount(t.data.length)} values, which does not fit its shape [${t.shape.join(', ')}].`);
    }
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + 4 * count] };
    offset += 4 * count;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLen = Math.ceil((8 + json.length) / 8) * 8 - 8;
  const out = new Uint8Array(8 + headerLen + offset);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(headerLen), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLen); // space padding, valid JSON whitespace
  let pos = 8 + headerLen;
  for (const t of tensors) {
    writeF32(out, pos, t.data);
    pos += 4 * t.data.length;
  }
  return out;
}

/** A header: the metadata and where each tensor's bytes are (offsets from the data's start). */
export interface SafetensorsHeader {
  metadata: Record<string, string>;
  /** 8 + header length: where the tensor data starts in the file */
  dataStart: number;
  entries: { name: string; shape: number[]; begin: number; end: number }[];
}

/** Bytes of a file's start that decodeSafetensorsHeader needs: the 8-byte length, then the header. */
export function headerLength(first8: Uint8Array): number {
  if (first8.length < 8) return 8;
  const n = new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true);
  return n > BigInt(MAX_HEADER_BYTES) ? 8 : 8 + Number(n);
}

/** Checks a safetensors file from its start alone (`prefix`: at least the header; `fileLength`:
 *  the whole file's size): header, metadata, dtypes, shapes, and that the tensors tile the data
 *  exactly. Reads no tensor value. Throws one clear sentence saying what is wrong. */
export function decodeSafetensorsHeader(prefix: Uint8Array, fileLength: number): SafetensorsHeader {
  if (fileLength === 0) throw new Error('The checkpoint file is empty.');
  if (fileLength < 8) {
    throw new Error(`The file is not a safetensors checkpoint: it has only ${plural(fileLength, 'byte')}, fewer than the 8 bytes of its header length.`);
  }
  const dv = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength);
  const headerLen64 = dv.getBigUint64(0, true);
  const available = fileLength - 8;
  if (headerLen64 > BigInt(available)) {
    throw new Error(`The file is not a safetensors checkpoint or is truncated: its first 8 bytes give a header of ${formatCount(Number(headerLen64))} bytes but only ${plural(available, 'byte')} follow.`);
  }
  const headerLen = Number(headerLen64);
  if (headerLen > MAX_HEADER_BYTES) {
    throw new Error(`The checkpoint's header is ${formatCount(headerLen)} bytes, more than the ${formatCount(MAX_HEADER_BYTES)} a safetensors file may have.`);
  }
  if (headerLen < 2) throw new Error(`The file is not a safetensors checkpoint: its header is ${plural(headerLen, 'byte')} long, too short for a JSON object.`);
  if (prefix.length < 8 + headerLen) throw new Error('The checkpoint changed while it was being read.');

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(prefix.subarray(8, 8 + headerLen));
  } catch {
    throw new Error('The file is not a safetensors checkpoint: its header is not valid UTF-8 text.');
  }
  if (text.trimStart()[0] !== '{') throw new Error('The file is not a safetensors checkpoint: its header does not start with a JSON object.');
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch {
    // V8's parse message quotes the broken text, which may hold anything; keep the sentence ours
    throw new Error('The checkpoint\'s header is not valid JSON.');
  }
  if (!isPlainObject(header)) throw new Error('The checkpoint\'s header is not a JSON object.');

  const metadata = readMetadata(header[METADATA_KEY]);
  const dataLen = available - headerLen;
  const entries: { name: string; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === METADATA_KEY) continue;
    entries.push({ name, ...readEntry(name, raw) });
  }

  // Offsets must tile [0, dataLen) exactly: sort by start, then check each starts where the last ended.
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  for (const e of entries) {
    if (e.begin < expected) throw new Error(`Tensor ${e.name} overlaps the tensor before it in the checkpoint's data (it starts at byte ${formatCount(e.begin)}, before byte ${formatCount(expected)}).`);
    if (e.begin > expected) throw new Error(`The checkpoint's data has a gap of ${plural(e.begin - expected, 'byte')} before tensor ${e.name}.`);
    expected = e.end;
  }
  if (expected > dataLen) {
    throw new Error(`The checkpoint is truncated: its header says ${formatCount(expected)} bytes of tensors but the file has ${formatCount(dataLen)}.`);
  }
  if (expected < dataLen) {
    throw new Error(`The checkpoint has ${plural(dataLen - expected, 'unexpected byte')} after its last tensor.`);
  }
  return { metadata, dataStart: 8 + headerLen, entries };
}

/** Decodes a safetensors file of F32 tensors, or throws one clear sentence saying what is wrong. */
export function decodeSafetensors(bytes: Uint8Array): DecodedSafetensors {
  const { metadata, dataStart, entries } = decodeSafetensorsHeader(bytes, bytes.length);
  const tensors = new Map<string, DecodedTensor>();
  const byName = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of byName) {
    tensors.set(e.name, { shape: e.shape, data: readF32(bytes, dataStart + e.begin, (e.end - e.begin) / 4) });
  }
  return { tensors, metadata };
}

function readMetadata(raw: unknown): Record<string, string> {
  if (raw === undefined) return {};
  if (!isPlainObject(raw)) throw new Error('The checkpoint\'s __metadata__ is not a JSON object of strings.');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== 'string') throw new Error(`The checkpoint's metadata entry "${k}" is not a string.`);
    out[k] = v;
  }
  return out;
}

function readEntry(name: string, raw: unknown): { shape: number[]; begin: number; end: number } {
  if (!isPlainObject(raw)) throw new Error(`The checkpoint's header entry for tensor ${name} is not a JSON object.`);
  const { dtype, shape, data_offsets: offsets } = raw;
  if (typeof dtype !== 'string') throw new Error(`Tensor ${name} has no dtype in the checkpoint's header.`);
  if (dtype !== 'F32') {
    if (KNOWN_DTYPES.has(dtype)) throw new Error(`Tensor ${name} is stored as ${dtype}, but LSTM Lens reads only F32 tensors.`);
    throw new Error(`Tensor ${name} has the unknown dtype "${dtype}".`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new Error(`Tensor ${name} has an invalid shape in the checkpoint's header.`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) || offsets[0] > offsets[1]) {
    throw new Error(`Tensor ${name} has invalid data_offsets in the checkpoint's header.`);
  }
  const count = (shape as number[]).reduce((a, b) => a * b, 1);
  const [begin, end] = offsets as number[];
  if (end - begin !== 4 * count) {
    throw new Error(`Tensor ${name} has shape [${shape.join(', ')}], which needs ${plural(4 * count, 'byte')}, but its data_offsets span ${plural(end - begin, 'byte')}.`);
  }
  return { shape: shape as number[], begin, end };
}

function writeF32(out: Uint8Array, pos: number, data: Float32Array): void {
  if (LITTLE_ENDIAN) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), pos);
  } else {
    const dv = new DataView(out.buffer, out.byteOffset);
    for (let i = 0; i < data.length; i++) dv.setFloat32(pos + 4 * i, data[i], true);
  }
}

/** Copies (never views) the floats, since the data may sit at any byte offset of the buffer. */
function readF32(bytes: Uint8Array, pos: number, count: number): Float32Array {
  const out = new Float32Array(count);
  if (LITTLE_ENDIAN) {
    new Uint8Array(out.buffer).set(bytes.subarray(pos, pos + 4 * count));
  } else {
    const dv = new DataView(bytes.buffer, bytes.byteOffset);
    for (let i = 0; i < count; i++) out[i] = dv.getFloat32(pos + 4 * i, true);
  }
  return out;
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
