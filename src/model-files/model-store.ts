// The workspace's model: <storageUri>/model.safetensors and its sidecars (paths.ts), through the
// file operations of checkpoint-file.ts. No vscode import.
//
// Reading (at activation and after every run, on the extension host's thread) validates the
// header only; the weights are read, and checked to be finite, by the workers that use them. A
// file that fails is never deleted, only renamed aside (model.safetensors.corrupt-<time>), so
// nothing is lost and the next run starts clean. Emits 'changed' when a command replaced or
// deleted the model (import, reset), so that the parts holding it in memory drop it at once.
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CheckpointHeader } from '../engine/checkpoint';
import { writeFileAtomicAsync } from './atomic-write';
import { decodeUsableCheckpoint, existingModelFiles, loadCheckpointAsync, readCheckpointBytesAsync, moveAside as moveAsideFiles, readCheckpointHeader, removeModelFiles, renameModel } from './checkpoint-file';
import { MODEL_FILE } from './paths';

export { MODEL_FILE };

export interface ModelSummary {
  cell: string;
  layers: number;
  hidden: number;
  vocabSize: number;
  steps: number;
  charsSeen: number;
  elapsedMs: number;
  valBpc?: number;
  /** [charsSeen, val bpc] after each evaluation, oldest first */
  valHistory: [number, number][];
  /** Where another trainer wrote it (training.trainedWith, e.g. the PyTorch trainer's
   *  {trainer, torch, processes, device}): its string and number entries only, each bounded. */
  trainedWith?: Record<string, string | number>;
}

export type StoredModel =
  | { state: 'none' }
  | { state: 'ok'; summary: ModelSummary }
  | { state: 'corrupt'; reason: string; movedTo: string };

export class ModelStore extends EventEmitter {
  /** dir is undefined when no folder is open (VS Code gives no workspace storage then). */
  constructor(readonly dir: string | undefined) {
    super();
  }

  get modelPath(): string | undefined {
    return this.dir ? path.join(this.dir, MODEL_FILE) : undefined;
  }

  ensureDir(): string {
    if (!this.dir) throw new Error('Open a folder or workspace first: LSTM Lens keeps one model per workspace.');
    fs.mkdirSync(this.dir, { recursive: true });
    return this.dir;
  }

  exists(): boolean {
    return !!this.modelPath && fs.existsSync(this.modelPath);
  }

  /** Reads and validates the stored model's header; a corrupt one is moved aside and reported as such. */
  async read(): Promise<StoredModel> {
    const file = this.modelPath;
    if (!file || !fs.existsSync(file)) return { state: 'none' };
    try {
      return { state: 'ok', summary: summarize(await readCheckpointHeader(file)) };
    } catch (e) {
      const reason = (e as Error).message;
      return { state: 'corrupt', reason, movedTo: this.moveAside() };
    }
  }

  /** Renames the model (and its sidecar) to *.corrupt-<time>; returns the model's new path. */
  moveAside(): string {
    return moveAsideFiles(this.modelPath!);
  }

  /** Keeps the stored model under another name beside it (previous-<time>.safetensors, with its
   *  optimizer state and n-gram counts renamed alike), so that a new model can be trained in its
   *  place and the old one imported back. Returns the kept checkpoint's path. */
  setAside(): string {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-').replace(/Z$/, '');
    const kept = path.join(this.dir!, `previous-${stamp}.safetensors`);
    renameModel(this.modelPath!, kept);
    this.emit('changed');
    return kept;
  }

  /** Puts a model kept by setAside back in place, if no model is stored meanwhile. */
  restore(kept: string): boolean {
    if (this.exists() || !fs.existsSync(kept)) return false;
    renameModel(kept, this.modelPath!);
    this.emit('changed');
    return true;
  }

  /** The files of the stored model that exist (existingModelFiles). */
  modelFiles(): string[] {
    return this.modelPath ? existingModelFiles(this.modelPath) : [];
  }

  /** Deletes every file of the stored model (modelFiles), nothing else; whether there was a model. */
  reset(): boolean {
    const had = this.exists();
    if (this.modelPath) removeModelFiles(this.modelPath);
    this.emit('changed');
    return had;
  }

  async exportTo(target: string): Promise<void> {
    const file = this.modelPath;
    if (!file || !fs.existsSync(file)) throw new Error('There is no trained model in this workspace to export yet; run "LSTM Lens: Train on Workspace" first.');
    await writeFileAtomicAsync(target, await fs.promises.readFile(file));
  }

  /** Reads and validates a model file without storing it; throws one clear sentence. */
  async validate(source: string): Promise<ModelSummary> {
    try {
      return summarize(await loadCheckpointAsync(source));
    } catch (e) {
      throw new Error(`Cannot import ${path.basename(source)}: ${(e as Error).message}`);
    }
  }

  /** Validates `source` fully, then replaces the stored model with it. Export writes the checkpoint
   *  alone, so an import brings no optimizer state and no n-gram counts: the old model's (which
   *  would be mixed with a model they do not belong to) are removed, but only once the new
   *  checkpoint is in place. A file that fails validation, or a write that fails, leaves every
   *  file of the old model as it was. */
  async importFrom(source: string): Promise<ModelSummary> {
    let checkpoint: CheckpointHeader, bytes: Buffer;
    try {
      bytes = await readCheckpointBytesAsync(source);
      checkpoint = decodeUsableCheckpoint(bytes);   // the very bytes that are stored
    } catch (e) {
      throw new Error(`Cannot import ${path.basename(source)}: ${(e as Error).message}`);
    }
    this.ensureDir();
    const file = this.modelPath!;
    await writeFileAtomicAsync(file, bytes, 'checkpoint');   // the old checkpoint is whole until this rename
    try {
      removeModelFiles(file, file);
    } finally {
      this.emit('changed');   // the checkpoint did change, even if a stale file could not be removed
    }
    return summarize(checkpoint);
  }
}

export function summarize(ck: CheckpointHeader): ModelSummary {
  const h = ck.training.valBpcHistory;
  return {
    cell: ck.config.cell, layers: ck.config.layers, hidden: ck.config.hidden, vocabSize: ck.config.vocabSize,
    steps: ck.training.steps, charsSeen: ck.training.charsSeen, elapsedMs: ck.training.elapsedMs,
    valBpc: h.length ? h[h.length - 1][1] : undefined, valHistory: h.slice(),
    ...trainedWith(ck.training.trainedWith),
  };
}

const MAX_ENTRIES = 8, MAX_KEY = 32, MAX_VALUE = 80;

/** The metadata's trainedWith object, kept only as short strings and finite numbers (it comes from
 *  any file a user imports, and ends up in a message): other entries are dropped, an object with
 *  none left is no field at all. */
function trainedWith(raw: unknown): { trainedWith?: Record<string, string | number> } {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return {};
  const out: Record<string, string | number> = {};
  for (const [key, value] of Object.entries(raw).slice(0, MAX_ENTRIES)) {
    if (key.length > MAX_KEY || !/^[A-Za-z][\w.-]*$/.test(key)) continue;
    if (typeof value === 'number' && Number.isFinite(value)) out[key] = value;
    else if (typeof value === 'string' && value.length <= MAX_VALUE && !/[\u0000-\u001f\u007f-\u009f]/.test(value)) out[key] = value;
  }
  return Object.keys(out).length ? { trainedWith: out } : {};
}
