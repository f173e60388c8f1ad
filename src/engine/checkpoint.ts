// A trained model as one .safetensors file, and the trainer's optimizer state as a sidecar of the
// same format. Pure: bytes in, bytes out (src/model-files/checkpoint-file.ts does the fs part).
//
// Model file:
//   tensors       paramLayout(config) names and shapes (PyTorch's), F32, in layout order, so a
//                 torch.nn.LSTM/GRU/RNN + Linear state dict maps one to one
//   __metadata__  format   "lstm-lens/1"
//                 config   JSON ModelConfig
//                 train    JSON Partial<TrainConfig>          (only when the checkpoint has one)
//                 vocab    JSON array of one-code-point strings, length config.vocabSize;
//                          the last entry is UNK (U+FFFF) when the vocabulary has one
//                 training JSON TrainingProgress
//                 cells    JSON array of discovered cells     (only when the checkpoint has them)
//
// Optimizer sidecar:
//   tensors       whatever the trainer keeps (Adam's m and v, ...), each 1-D
//   __metadata__  format "lstm-lens-state/1", meta (JSON object of the trainer's choosing)
import { ModelConfig, TrainConfig, validateModelConfig } from './config';
import { paramLayout, view } from './params';
import { decodeSafetensors, decodeSafetensorsHeader, encodeSafetensors, formatCount, DecodedTensor } from './safetensors';

export const CHECKPOINT_FORMAT = 'lstm-lens/1';
export const TRAINING_STATE_FORMAT = 'lstm-lens-state/1';

/**
 * The vocabulary's "unknown character" entry: U+FFFF, a Unicode noncharacter that never stands
 * for text, so every vocabulary entry stays exactly one code point. buildVocab puts it last.
 */
export const UNK = '\uFFFF';

/** How far training got; extra keys (epochs, best bpc, ...) are kept as they are. */
export interface TrainingProgress {
  steps: number;
  charsSeen: number;
  elapsedMs: number;
  /** [charsSeen, validation bits per char] after each evaluation, oldest first */
  valBpcHistory: [number, number][];
  /** The learning-rate schedule the model is in: begun at startStep for a budget of `steps` or
   *  `epochs` in all (absent for a time budget). A run resumed with the same budget continues it. */
  schedule?: { startStep: number; steps?: number; epochs?: number };
  [key: string]: unknown;
}

export interface Checkpoint {
  config: ModelConfig;
  train?: Partial<TrainConfig>;
  vocab: string[];
  /** flat, in paramLayout(config) order */
  params: Float32Array;
  training: TrainingProgress;
  cells?: unknown[];
}

export interface TrainingState {
  tensors: Record<string, Float32Array>;
  meta: Record<string, unknown>;
}

export function encodeCheckpoint(ck: Checkpoint): Uint8Array {
  validateModelConfig(ck.config);
  checkVocab(ck.vocab, ck.config.vocabSize);
  const layout = paramLayout(ck.config);
  if (ck.params.length !== layout.total) {
    throw new Error(`The model has ${formatCount(ck.params.length)} parameters but its config needs ${formatCount(layout.total)}.`);
  }
  const { cell, layers, hidden, vocabSize, dropout } = ck.config;
  const metadata: Record<string, string> = {
    format: CHECKPOINT_FORMAT,
    config: JSON.stringify({ cell, layers, hidden, vocabSize, dropout }),
    vocab: JSON.stringify(ck.vocab),
    training: JSON.stringify(ck.training),
  };
  if (ck.train !== undefined) metadata.train = JSON.stringify(ck.train);
  if (ck.cells !== undefined) metadata.cells = JSON.stringify(ck.cells);
  const tensors = layout.tensors.map((t) => ({ name: t.name, shape: t.shape, data: view(ck.params, t) }));
  // A diverged model would be refused on load; refuse it now, while the last good file is intact.
  for (const t of tensors) checkFinite(t.name, t.data, 'model', ', so it was not saved');
  return encodeSafetensors(tensors, metadata);
}

/** A checkpoint without its weights: what its header says, checked as decodeCheckpoint checks it. */
export type CheckpointHeader = Omit<Checkpoint, 'params'>;

/** Decodes and validates a model file; throws one clear sentence when anything is off. */
export function decodeCheckpoint(bytes: Uint8Array): Checkpoint {
  const { tensors, metadata } = decodeSafetensors(bytes);
  const header = readHeader(metadata);
  checkTensorShapes(new Map([...tensors].map(([name, t]) => [name, t.shape])), header.config);
  const ck: Checkpoint = { ...header, params: readParams(tensors, header.config) };
  return ck;
}

/** Validates a model file from its start (at least its safetensors header) and its size: config,
 *  vocabulary, training history, tensor names and shapes, everything but the weights' values
 *  (which decodeCheckpoint also checks to be finite). Cheap enough for a UI thread. */
export function decodeCheckpointHeader(prefix: Uint8Array, fileLength: number): CheckpointHeader {
  const { metadata, entries } = decodeSafetensorsHeader(prefix, fileLength);
  const header = readHeader(metadata);
  checkTensorShapes(new Map(entries.map((e) => [e.name, e.shape])), header.config);
  return header;
}

function readHeader(metadata: Record<string, string>): CheckpointHeader {
  checkFormat(metadata.format, CHECKPOINT_FORMAT, 'model checkpoint');

  const rawConfig = parseJson(metadata.config, 'config');
  if (!isObject(rawConfig)) throw new Error('The checkpoint\'s config is not a JSON object.');
  const config: ModelConfig = {
    cell: rawConfig.cell as ModelConfig['cell'],
    layers: rawConfig.layers as number,
    hidden: rawConfig.hidden as number,
    vocabSize: rawConfig.vocabSize as number,
    dropout: (rawConfig.dropout ?? 0) as number,
  };
  try {
    validateModelConfig(config);
  } catch (e) {
    throw new Error(`The checkpoint's config is invalid: ${lowerFirst((e as Error).message)}`);
  }

  const vocab = parseJson(metadata.vocab, 'vocab');
  checkVocab(vocab, config.vocabSize);

  let train: Partial<TrainConfig> | undefined;
  if (metadata.train !== undefined) {
    const t = parseJson(metadata.train, 'train');
    if (!isObject(t)) throw new Error('The checkpoint\'s train entry is not a JSON object.');
    train = t as Partial<TrainConfig>;
  }

  const training = readTraining(metadata.training);

  let cells: unknown[] | undefined;
  if (metadata.cells !== undefined) {
    const c = parseJson(metadata.cells, 'cells');
    if (!Array.isArray(c)) throw new Error('The checkpoint\'s cells entry is not a JSON array.');
    cells = c;
  }

  const header: CheckpointHeader = { config, vocab, training };
  if (train !== undefined) header.train = train;
  if (cells !== undefined) header.cells = cells;
  return header;
}

export function encodeTrainingState(state: TrainingState): Uint8Array {
  const tensors = Object.entries(state.tensors).map(([name, data]) => ({ name, shape: [data.length], data }));
  return encodeSafetensors(tensors, { format: TRAINING_STATE_FORMAT, meta: JSON.stringify(state.meta) });
}

export function decodeTrainingState(bytes: Uint8Array): TrainingState {
  const decoded = decodeSafetensors(bytes);
  checkFormat(decoded.metadata.format, TRAINING_STATE_FORMAT, 'optimizer state');
  const meta = parseJson(decoded.metadata.meta ?? '{}', 'meta');
  if (!isObject(meta)) throw new Error('The optimizer state\'s meta entry is not a JSON object.');
  const tensors: Record<string, Float32Array> = {};
  for (const [name, t] of decoded.tensors) {
    checkFinite(name, t.data, 'optimizer state');
    tensors[name] = t.data;
  }
  return { tensors, meta };
}

// ---- validation --------------------------------------------------------------------------

function checkFormat(format: string | undefined, expected: string, what: string): void {
  if (format === expected) return;
  if (format === undefined) throw new Error(`The file is a safetensors file but not an LSTM Lens ${what}: its metadata has no format.`);
  const [family, version] = splitFormat(format);
  const [wantFamily, wantVersion] = splitFormat(expected);
  if (family === wantFamily && version > wantVersion) {
    throw new Error(`This ${what} was written by a newer LSTM Lens (format ${format}); update the extension to read it.`);
  }
  if (family === 'lstm-lens-state' && wantFamily === 'lstm-lens') {
    throw new Error('This file holds LSTM Lens optimizer state, not a model checkpoint.');
  }
  if (family === 'lstm-lens' && wantFamily === 'lstm-lens-state') {
    throw new Error('This file is an LSTM Lens model checkpoint, not optimizer state.');
  }
  throw new Error(`The file is not an LSTM Lens ${what}: its format is "${format}", not "${expected}".`);
}

function splitFormat(format: string): [string, number] {
  const m = /^(.*)\/(\d+)$/.exec(format);
  return m ? [m[1], Number(m[2])] : [format, NaN];
}

function checkVocab(vocab: unknown, vocabSize: number): asserts vocab is string[] {
  if (!Array.isArray(vocab)) throw new Error('The checkpoint\'s vocab is not a JSON array.');
  if (vocab.length !== vocabSize) {
    throw new Error(`The checkpoint's vocabulary has ${formatCount(vocab.length)} characters but its config says ${formatCount(vocabSize)}.`);
  }
  const seen = new Set<string>();
  vocab.forEach((ch, i) => {
    if (typeof ch !== 'string' || [...ch].length !== 1) {
      throw new Error(`Entry ${i} of the checkpoint's vocabulary is not a single character.`);
    }
    if (seen.has(ch)) throw new Error(`The checkpoint's vocabulary lists the character U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} twice.`);
    seen.add(ch);
  });
}

function readTraining(raw: string | undefined): TrainingProgress {
  const t = raw === undefined ? {} : parseJson(raw, 'training');
  if (!isObject(t)) throw new Error('The checkpoint\'s training entry is not a JSON object.');
  // Files written by other tools may carry no progress; a missing field means "nothing yet".
  const out: TrainingProgress = { ...t, steps: 0, charsSeen: 0, elapsedMs: 0, valBpcHistory: [] };
  for (const key of ['steps', 'charsSeen', 'elapsedMs'] as const) {
    const v = t[key] ?? 0;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Error(`The checkpoint's training.${key} is not a non-negative number.`);
    out[key] = v;
  }
  const h = t.valBpcHistory ?? [];
  if (!Array.isArray(h) || !h.every((p) => Array.isArray(p) && p.length === 2 && p.every((x) => typeof x === 'number'))) {
    throw new Error('The checkpoint\'s training.valBpcHistory is not a list of [chars, bpc] pairs.');
  }
  out.valBpcHistory = h as [number, number][];
  return out;
}

/** Every tensor the config needs, with its shape, and no other. */
function checkTensorShapes(shapes: Map<string, number[]>, config: ModelConfig): void {
  const layout = paramLayout(config);
  const model = describeModel(config);
  for (const t of layout.tensors) {
    if (!shapes.has(t.name)) throw new Error(`The checkpoint has no tensor ${t.name}, which ${model} needs.`);
  }
  const expected = new Set(layout.tensors.map((t) => t.name));
  for (const name of [...shapes.keys()].sort()) {
    if (!expected.has(name)) throw new Error(`The checkpoint holds an unexpected tensor ${name}, which ${model} does not have.`);
  }
  for (const t of layout.tensors) {
    const got = shapes.get(t.name)!;
    if (got.length !== t.shape.length || got.some((d, i) => d !== t.shape[i])) {
      throw new Error(`Tensor ${t.name} has shape [${got.join(', ')}] but ${model} needs [${t.shape.join(', ')}].`);
    }
  }
}

/** The weights, flat in paramLayout order (shapes already checked), each checked to be finite. */
function readParams(tensors: Map<string, DecodedTensor>, config: ModelConfig): Float32Array {
  const layout = paramLayout(config);
  const params = new Float32Array(layout.total);
  for (const t of layout.tensors) {
    const got = tensors.get(t.name)!;
    checkFinite(t.name, got.data, 'checkpoint');
    params.set(got.data, t.offset);
  }
  return params;
}

function checkFinite(name: string, data: Float32Array, what: string, consequence = ''): void {
  for (let i = 0; i < data.length; i++) {
    // x - x is 0 for every finite x and NaN for NaN and infinities
    if (data[i] - data[i] !== 0) throw new Error(`The ${what} holds non-finite values (NaN or infinity) in ${name}${consequence}.`);
  }
}

function describeModel(c: ModelConfig): string {
  return `a ${c.layers}-layer ${c.cell.toUpperCase()} with hidden size ${c.hidden} and ${formatCount(c.vocabSize)} characters`;
}

function parseJson(text: string | undefined, key: string): unknown {
  if (text === undefined) throw new Error(`The checkpoint's metadata has no ${key} entry.`);
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`The checkpoint's ${key} entry is not valid JSON.`);
  }
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}
