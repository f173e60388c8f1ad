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
import { writeFileAtomic } from './atomic-write';
import { isTempFileOf, sidecarPaths, trainingStatePath } from './paths';

export { trainingStatePath };

/** The meta key that ties a sidecar to the model file's training.steps. */
export const STATE_STEPS_KEY = 'checkpointSteps';


/** Writes the model (and the optimizer state, or removes a stale one) atomically. */
export function saveCheckpoint(path: string, ck: Checkpoint, trainingState?: TrainingState): void {
  const bytes = encodeCheckpoint(ck); // encode both before touching the disk: a bad model writes nothing
  const sidecar = trainingStatePath(path);
  if (trainingState) {
    const state = { tensors: trainingState.tensors, meta: { ...trainingState.meta, [STATE_STEPS_KEY]: ck.training.steps } };
    writeFileAtomic(sidecar, encodeTrainingState(state));
  } else {
    fs.rmSync(sidecar, { force: true });
  }
  writeFileAtomic(path, bytes);
}

export function loadCheckpoint(path: string): Checkpoint {
  const bytes = readOrExplain(path, 'checkpoint');
  return decodeOrExplain(path, () => decodeCheckpoint(bytes));
}

export async function loadCheckpointAsync(path: string): Promise<Checkpoint> {
  let bytes: Uint8Array;
  try {
    bytes = await fs.promises.readFile(path);
  } catch (e) {
    throw explainReadError(path, 'checkpoint', e);
  }
  return decodeOrExplain(path, () => decodeCheckpoint(bytes));
}

/** The checkpoint's header alone, validated (decodeCheckpointHeader): a read of the file's first
 *  bytes, not of its weights, so the editor's thread can afford it. */
export async function readCheckpointHeader(path: string): Promise<CheckpointHeader> {
  let handle: fs.promises.FileHandle | undefined;
  let prefix: Uint8Array, size: number;
  try {
    handle = await fs.promises.open(path, 'r');
    size = (await handle.stat()).size;
    const first8 = Buffer.alloc(8);
    await handle.read(first8, 0, 8, 0);
    const want = Math.min(size, headerLength(first8));
    prefix = Buffer.alloc(want);
    await handle.read(prefix, 0, want, 0);
  } catch (e) {
    throw explainReadError(path, 'checkpoint', e);
  } finally {
    await handle?.close();
  }
  return decodeOrExplain(path, () => decodeCheckpointHeader(prefix, size));
}

/** Replaces the checkpoint's discovered cells, everything else as it was (the optimizer sidecar
 *  is not touched: its step stamp still matches). With onlyAtStep, only while the file is still
 *  the model the cells were found on (a training run may have saved a newer one meanwhile).
 *  Returns whether they were stored. */
export function storeCells(checkpointPath: string, cells: readonly object[], onlyAtStep?: number): boolean {
  const ck = loadCheckpoint(checkpointPath);
  if (onlyAtStep !== undefined && ck.training.steps !== onlyAtStep) return false;
  ck.cells = cells.map((c) => ({ ...c }));
  writeFileAtomic(checkpointPath, encodeCheckpoint(ck));
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
  const bytes = readOrExplain(sidecar, 'optimizer state');
  const state = decodeOrExplain(sidecar, () => decodeTrainingState(bytes));
  const steps = state.meta[STATE_STEPS_KEY];
  if (expectSteps !== undefined && steps !== undefined && steps !== expectSteps) {
    throw new Error(`The optimizer state in ${sidecar} is from step ${steps} but the model is at step ${expectSteps}; delete it to resume with a fresh optimizer.`);
  }
  return state;
}

function readOrExplain(path: string, what: string): Uint8Array {
  try {
    return fs.readFileSync(path);
  } catch (e) {
    throw explainReadError(path, what, e);
  }
}

function explainReadError(path: string, what: string, e: unknown): Error {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new Error(`There is no ${what} at ${path}.`);
  if (code === 'EISDIR') return new Error(`The path ${path} is a folder, not a ${what} file.`);
  if (code === 'EACCES' || code === 'EPERM') return new Error(`The ${what} ${path} cannot be read (permission denied).`);
  return new Error(`The ${what} ${path} cannot be read (${code ?? (e as Error).message}).`);
}

/** Keeps the decoder's one sentence and says which file it is about. */
function decodeOrExplain<T>(path: string, decode: () => T): T {
  try {
    return decode();
  } catch (e) {
    throw new Error(`${(e as Error).message.replace(/\.$/, '')} (in ${path}).`);
  }
}
