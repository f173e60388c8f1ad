// The files that come with a model file someone picks to import: its optimizer state and n-gram
// counts beside it (paths.ts names them), and temp files of writes to any of them that never
// finished. Import takes the checkpoint alone; this says, for each of the others, what becomes of
// it, and which picked file is no model at all but one of these.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isTempFileOf, ngramPathFor, sidecarPaths, tempFileTarget, trainingStatePath } from './paths';

export type CompanionKind = 'optimizer state' | 'n-gram counts' | 'unfinished write';

export interface Companion {
  /** the file's name, in the model's folder */
  name: string;
  kind: CompanionKind;
  /** what Import does with it, a clause: "not imported: ..." */
  fate: string;
}

const FATES: Record<CompanionKind, string> = {
  'optimizer state': 'not imported: training here goes on with a fresh optimizer (Adam\'s moments are rebuilt within a few steps)',
  'n-gram counts': 'not imported: they count the files of the workspace the model was trained on; the next training run here counts this workspace\'s (completions use the LSTM alone until then)',
  'unfinished write': 'left alone: a save that never finished (a crash or a killed process), not part of the model',
};

/** The files beside `modelPath` that belong to it, sorted by name; the model file itself is not one. */
export function companionsOf(modelPath: string): Companion[] {
  const dir = path.dirname(modelPath);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const [, statePath, ngramPath] = sidecarPaths(modelPath);
  const out: Companion[] = [];
  for (const name of names.sort()) {
    const kind: CompanionKind | undefined =
      name === path.basename(statePath) ? 'optimizer state'
        : name === path.basename(ngramPath) ? 'n-gram counts'
          : sidecarPaths(modelPath).some((f) => isTempFileOf(f, name)) ? 'unfinished write' : undefined;
    if (kind) out.push({ name, kind, fate: FATES[kind] });
  }
  return out;
}

/** One sentence when the picked file is no model but a file that comes with one (an optimizer
 *  state, n-gram counts, a temp file), naming the model to pick instead; else undefined. */
export function notAModelFile(picked: string): string | undefined {
  const name = path.basename(picked);
  const target = tempFileTarget(picked);
  if (target) {
    return `${name} is a save that never finished (of ${path.basename(target)}), not a model: import ${path.basename(modelOfSidecar(target) ?? target)} instead.`;
  }
  // by its name, and only beside the model it belongs to (a model may be named x.state.safetensors)
  const model = modelOfSidecar(picked);
  if (!model || !fs.existsSync(model)) return undefined;
  const what = trainingStatePath(model) === picked ? 'the optimizer state' : 'the n-gram counts';
  return `${name} is ${what} saved beside ${path.basename(model)}, not a model: import ${path.basename(model)} instead.`;
}

/** The checkpoint a sidecar path belongs to (x.state.safetensors, x.ngram.bin -> x.safetensors). */
function modelOfSidecar(file: string): string | undefined {
  for (const suffix of ['.state.safetensors', '.ngram.bin']) {
    if (!file.endsWith(suffix)) continue;
    const model = file.slice(0, -suffix.length) + '.safetensors';
    if (trainingStatePath(model) === file || ngramPathFor(model) === file) return model;
  }
  return undefined;
}
