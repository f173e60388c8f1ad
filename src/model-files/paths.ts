// Where a model's files are, given its checkpoint: the one place that knows the names.
//
//   model.safetensors          the checkpoint: weights, config, vocabulary, training history, cells
//   model.state.safetensors    the optimizer state (Adam's moments, the carried hidden state, ...)
//   model.ngram.bin            the corpus n-gram counts that completions mix with the LSTM
//   model.adaptive.bin         what the adaptive predictor's mixer and SSE learned (completions)
//   .model.safetensors.<pid>.<hex>.tmp   a write in progress (or one a crash interrupted)
//
// A checkpoint named otherwise (weights) gets weights.state.safetensors and weights.ngram.bin.
import * as path from 'node:path';

/** The file name the extension keeps a workspace's model under. */
export const MODEL_FILE = 'model.safetensors';

const stem = (checkpointPath: string) =>
  checkpointPath.endsWith('.safetensors') ? checkpointPath.slice(0, -'.safetensors'.length) : checkpointPath;

/** The optimizer state beside a checkpoint. */
export function trainingStatePath(checkpointPath: string): string {
  return stem(checkpointPath) + '.state.safetensors';
}

/** The n-gram counts beside a checkpoint. */
export function ngramPathFor(checkpointPath: string): string {
  return stem(checkpointPath) + '.ngram.bin';
}

/** The adaptive predictor's learned mixer and SSE beside a checkpoint. */
export function adaptivePathFor(checkpointPath: string): string {
  return stem(checkpointPath) + '.adaptive.bin';
}

/** Every file that belongs to the model at checkpointPath (whether it exists or not). */
export function sidecarPaths(checkpointPath: string): string[] {
  return [checkpointPath, trainingStatePath(checkpointPath), ngramPathFor(checkpointPath), adaptivePathFor(checkpointPath)];
}

/** The temp file of one atomic write: hidden, beside the target, unique per process and call. */
export function tempPathFor(target: string, unique: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${unique}.tmp`);
}

/** Whether `name` (a file name in the target's folder) is a temp file of a write to `target`
 *  that never finished (a crash between writing and renaming leaves one behind). */
export function isTempFileOf(target: string, name: string): boolean {
  return parseTempName(name)?.target === path.basename(target);
}

/** The file a temp file (a path) was to become, in the same folder, or undefined for any other file. */
export function tempFileTarget(file: string): string | undefined {
  const t = parseTempName(path.basename(file));
  return t && path.join(path.dirname(file), t.target);
}

/** The process that wrote a temp file (by its name), or undefined when `name` is none. */
export function tempFileWriter(name: string): number | undefined {
  return parseTempName(name)?.pid;
}

function parseTempName(name: string): { target: string; pid: number } | undefined {
  const m = /^\.(.+)\.(\d+)\.[0-9a-f]{8}\.tmp$/.exec(name);
  return m ? { target: m[1], pid: Number(m[2]) } : undefined;
}
