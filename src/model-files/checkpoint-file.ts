// Checkpoints on disk. The model goes to FILE; the optimizer state, when there is one, to a sidecar
// beside it: `model.safetensors` -> `model.state.safetensors` (any other name: FILE + '.state.safetensors').
// The sidecar is written first and stamped with the model's step count, so a crash between the two
// writes leaves a sidecar whose steps do not match, which loadTrainingState then refuses.
import * as fs from 'node:fs';
import {
  Checkpoint, TrainingState, decodeCheckpoint, decodeTrainingState, encodeCheckpoint, encodeTrainingState,
} from '../engine/checkpoint';
import { writeFileAtomic } from './atomic-write';

/** The meta key that ties a sidecar to the model file's training.steps. */
export const STATE_STEPS_KEY = 'checkpointSteps';

export function trainingStatePath(checkpointPath: string): string {
  return checkpointPath.endsWith('.safetensors')
    ? checkpointPath.slice(0, -'.safetensors'.length) + '.state.safetensors'
    : checkpointPath + '.state.safetensors';
}

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
