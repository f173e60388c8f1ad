// A model on disk, the one owner of its files (names in paths.ts): load and atomic save of the
// checkpoint and its optimizer-state sidecar, the header alone (for the editor's thread), the
// discovered cells written back into the checkpoint, and moving aside or removing a model.
//
// The sidecar is written first and stamped with the model's step count, so a crash between the two
// writes leaves a sidecar whose steps do not match, which loadTrainingState then refuses.
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  Checkpoint, CheckpointHeader, TrainingState, decodeCheckpoint, decodeCheckpointHeader, decodeTrainingState, encodeCheckpoint,
  encodeTrainingState,
} from '../engine/checkpoint';
import { headerLength } from '../engine/safetensors';
import { asLensError, LensError } from '../errors';
import { removeStaleTempFiles, writeFileAtomic } from './atomic-write';
import { FileLimit, OpenedFile, openModelFile, readAt, readModelFile, readModelFileAsync } from './read-model-file';
import { MAX_CHECKPOINT_BYTES, vocabTooLarge, weightsTooLarge } from './limits';
import { isTempFileOf, sidecarPaths, trainingStatePath } from './paths';

export { trainingStatePath };

/** The meta key that ties a sidecar to the model file's training.steps. */
export const STATE_STEPS_KEY = 'checkpointSteps';


/** What a checkpoint file may be: no larger than the largest model the engine builds. */
const CHECKPOINT: FileLimit = {
  what: 'checkpoint', maxBytes: MAX_CHECKPOINT_BYTES,
  because: ` that the largest model LSTM Lens builds needs (4 layers of 4,096 LSTM cells)`,
};
/** The optimizer state holds a few arrays of the model's size (Adam's two moments, ...). */
const TRAINING_STATE: FileLimit = {
  what: 'optimizer state', maxBytes: 4 * MAX_CHECKPOINT_BYTES, because: ', four times the largest model LSTM Lens builds',
};

/** Writes the model (and the optimizer state, or removes a stale one) atomically. A failed write
 *  throws a LensError 'save-failed' about the checkpoint, which is then as it was before. */
export function saveCheckpoint(path: string, ck: Checkpoint, trainingState?: TrainingState): void {
  const bytes = encodeCheckpoint(ck); // encode both before touching the disk: a bad model writes nothing
  const sidecar = trainingStatePath(path);
  const existed = fs.existsSync(path);
  try {
    if (trainingState) {
      const state = { tensors: trainingState.tensors, meta: { ...trainingState.meta, [STATE_STEPS_KEY]: ck.training.steps } };
      writeFileAtomic(sidecar, encodeTrainingState(state), 'optimizer state');
    } else {
      fs.rmSync(sidecar, { force: true });
    }
  } catch (e) {
    // the checkpoint is untouched, and so is the sidecar that belongs to it
    throw asCheckpointFailure(path, existed, e);
  }
  try {
    writeFileAtomic(path, bytes, 'checkpoint');
  } catch (e) {
    // the new sidecar belongs to no checkpoint on disk: without it a resume starts a fresh optimizer
    fs.rmSync(sidecar, { force: true });
    throw asCheckpointFailure(path, existed, e);
  }
}

function asCheckpointFailure(path: string, existed: boolean, e: unknown): unknown {
  const failed = asLensError(e);
  if (failed?.data.code !== 'save-failed') return e;
  const reason = failed.data.reason;
  return new LensError({ code: 'save-failed', path, what: 'checkpoint', reason, kept: existed },
    `The checkpoint could not be saved to ${path} (${reason}); ${existed ? 'the previous checkpoint there is intact' : 'nothing was written'}.`);
}

/** Reads and validates a checkpoint: the header first (so that a model too large to use is
 *  refused before its weights are read), then the weights, checked to be usable. */
export function loadCheckpoint(path: string): Checkpoint {
  for (const f of sidecarPaths(path)) removeStaleTempFiles(f);
  const f = openModelFile(path, CHECKPOINT);
  let bytes: Buffer;
  try {
    const prefix = readHeaderBytes(path, f);
    decodeOrExplain(path, () => usableHeader(decodeCheckpointHeader(prefix, f.size)));
    bytes = readAt(path, f, 0, f.size, 'checkpoint');
  } finally {
    fs.closeSync(f.fd);
  }
  return decodeOrExplain(path, () => decodeUsableCheckpoint(bytes));
}

/** A model file's bytes as they are, read only when it is a regular file of a checkpoint's size
 *  (an import must not wait on a FIFO nor read a link to /dev/zero). */
export function readCheckpointBytesAsync(path: string): Promise<Buffer> {
  return readModelFileAsync(path, CHECKPOINT);
}

export async function loadCheckpointAsync(path: string): Promise<Checkpoint> {
  const bytes = await readCheckpointBytesAsync(path);
  return decodeOrExplain(path, () => decodeUsableCheckpoint(bytes));
}

/** decodeCheckpoint, and a valid checkpoint that the tools still cannot run (too large a
 *  vocabulary, weights that overflow) refused too: one sentence either way. */
export function decodeUsableCheckpoint(bytes: Uint8Array): Checkpoint {
  const ck = usableHeader(decodeCheckpoint(bytes));
  const why = weightsTooLarge(ck.config, ck.params);
  if (why) throw new Error(why);
  return ck;
}

function usableHeader<T extends CheckpointHeader>(header: T): T {
  const why = vocabTooLarge(header.config);
  if (why) throw new Error(why);
  return header;
}

/** The checkpoint's header alone, validated (decodeCheckpointHeader): a read of the file's first
 *  bytes, not of its weights, so the editor's thread can afford it. */
export async function readCheckpointHeader(path: string): Promise<CheckpointHeader> {
  // sync: a stat, an open and two reads of the file's start (O_NONBLOCK: a FIFO cannot block them)
  const f = openModelFile(path, CHECKPOINT);
  let prefix: Buffer;
  try {
    prefix = readHeaderBytes(path, f);
  } finally {
    fs.closeSync(f.fd);
  }
  return decodeOrExplain(path, () => usableHeader(decodeCheckpointHeader(prefix, f.size)));
}

/** The file's first bytes: its 8-byte header length, then the header (as far as the file goes). */
function readHeaderBytes(path: string, f: OpenedFile): Buffer {
  const first8 = readAt(path, f, 0, Math.min(8, f.size), 'checkpoint');
  return readAt(path, f, 0, Math.min(f.size, headerLength(first8)), 'checkpoint');
}

/** Replaces the checkpoint's discovered cells, everything else as it was (the optimizer sidecar
 *  is not touched: its step stamp still matches). With onlyAtStep, only while the file is still
 *  the model the cells were found on (a training run may have saved a newer one meanwhile).
 *  Returns whether they were stored. */
export function storeCells(checkpointPath: string, cells: readonly object[], onlyAtStep?: number): boolean {
  // A symlinked model is rewritten where it lives: a rename over the link would replace the link
  // with a regular file, and the file it points to would keep the old cells.
  const file = fs.lstatSync(checkpointPath).isSymbolicLink() ? fs.realpathSync(checkpointPath) : checkpointPath;
  const ck = loadCheckpoint(file);
  if (onlyAtStep !== undefined && ck.training.steps !== onlyAtStep) return false;
  ck.cells = cells.map((c) => ({ ...c }));
  writeFileAtomic(file, encodeCheckpoint(ck), 'checkpoint');
  return true;
}

/** Renames the checkpoint (and its optimizer sidecar) to *.corrupt-<time>, so that nothing is
 *  lost and the next run starts clean; returns the checkpoint's new path. */
export function moveAside(checkpointPath: string): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const target = `${checkpointPath}.corrupt-${stamp}`;
  if (fs.existsSync(checkpointPath)) fs.renameSync(checkpointPath, target);
  const sidecar = trainingStatePath(checkpointPath);
  if (fs.existsSync(sidecar)) fs.renameSync(sidecar, `${sidecar}.corrupt-${stamp}`);
  return target;
}

/** Renames the model's checkpoint, optimizer state and n-gram counts to those of `newCheckpointPath`
 *  (in the same folder), so that they stay one model under the new name; temp files of unfinished
 *  writes go. Returns the files renamed (new paths). */
export function renameModel(checkpointPath: string, newCheckpointPath: string): string[] {
  const from = sidecarPaths(checkpointPath), to = sidecarPaths(newCheckpointPath);
  const moved: string[] = [];
  from.forEach((f, i) => {
    if (!fs.existsSync(f)) return;
    fs.renameSync(f, to[i]);
    moved.push(to[i]);
  });
  removeModelFiles(checkpointPath);   // what is left: temp files
  return moved;
}

/** The files of the model that exist: the checkpoint, its optimizer state, its n-gram counts, and
 *  temp files that an interrupted write of any of them left behind. Files moved aside as corrupt
 *  are not the model's any more and are not listed. */
export function existingModelFiles(checkpointPath: string): string[] {
  const dir = path.dirname(checkpointPath);
  if (!fs.existsSync(dir)) return [];
  const own = sidecarPaths(checkpointPath);
  return fs.readdirSync(dir)
    .filter((name) => own.some((f) => name === path.basename(f) || isTempFileOf(f, name)))
    .map((name) => path.join(dir, name));
}

/** Deletes every file of the model (existingModelFiles) except `keep`, nothing else. */
export function removeModelFiles(checkpointPath: string, keep?: string): void {
  for (const f of existingModelFiles(checkpointPath)) if (f !== keep) fs.rmSync(f, { force: true });
}

/**
 * The optimizer state saved beside a model, or undefined when there is none. With expectSteps
 * (the loaded model's training.steps), a sidecar from another step is refused.
 */
export function loadTrainingState(checkpointPath: string, expectSteps?: number): TrainingState | undefined {
  const sidecar = trainingStatePath(checkpointPath);
  if (!fs.existsSync(sidecar)) return undefined;
  const bytes = readModelFile(sidecar, TRAINING_STATE);
  const state = decodeOrExplain(sidecar, () => decodeTrainingState(bytes));
  const steps = state.meta[STATE_STEPS_KEY];
  if (expectSteps !== undefined && steps !== undefined && steps !== expectSteps) {
    throw new Error(`The optimizer state in ${sidecar} is from step ${steps} but the model is at step ${expectSteps}; delete it to resume with a fresh optimizer.`);
  }
  return state;
}

/** Keeps the decoder's one sentence and says which file it is about. */
function decodeOrExplain<T>(path: string, decode: () => T): T {
  try {
    return decode();
  } catch (e) {
    throw new Error(`${(e as Error).message.replace(/\.$/, '')} (in ${path}).`);
  }
}
