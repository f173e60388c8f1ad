// The workspace's model on disk: <storageUri>/model.safetensors, with its optimizer state
// (model.state.safetensors) and the n-gram counts completions use (model.ngram.bin) beside it.
// Reading validates the whole file; a file that fails is never deleted, only renamed aside
// (model.safetensors.corrupt-<time>), so nothing is lost and the next run starts clean.
// Emits 'changed' when a command replaced or deleted the model (import, reset), so that the
// parts holding it in memory drop it at once.
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ngramPathFor } from '../complete/ngram-file';
import { Checkpoint, decodeCheckpoint } from '../engine/checkpoint';
import { loadCheckpointAsync, trainingStatePath } from './checkpoint-file';
import { isTempFileOf, writeFileAtomicAsync } from './atomic-write';

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
}

export type StoredModel =
  | { state: 'none' }
  | { state: 'ok'; summary: ModelSummary; checkpoint: Checkpoint }
  | { state: 'corrupt'; reason: string; movedTo: string };

export const MODEL_FILE = 'model.safetensors';

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

  /** Reads and validates the stored model; a corrupt one is moved aside and reported as such. */
  async read(): Promise<StoredModel> {
    const file = this.modelPath;
    if (!file || !fs.existsSync(file)) return { state: 'none' };
    try {
      const checkpoint = await loadCheckpointAsync(file);
      return { state: 'ok', checkpoint, summary: summarize(checkpoint) };
    } catch (e) {
      const reason = (e as Error).message;
      return { state: 'corrupt', reason, movedTo: this.moveAside() };
    }
  }

  /** Renames the model (and its sidecar) to *.corrupt-<time>; returns the model's new path. */
  moveAside(): string {
    const file = this.modelPath!;
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const target = `${file}.corrupt-${stamp}`;
    if (fs.existsSync(file)) fs.renameSync(file, target);
    const sidecar = trainingStatePath(file);
    if (fs.existsSync(sidecar)) fs.renameSync(sidecar, `${sidecar}.corrupt-${stamp}`);
    return target;
  }

  /** The files of the stored model that exist: the model, its optimizer state, its n-gram counts,
   *  and temp files that an interrupted write of any of them left behind. Files moved aside as
   *  corrupt are not the model's any more and are kept. */
  modelFiles(): string[] {
    const file = this.modelPath;
    if (!file || !fs.existsSync(this.dir!)) return [];
    const own = [file, trainingStatePath(file), ngramPathFor(file)];
    return fs.readdirSync(this.dir!)
      .filter((name) => own.some((f) => name === path.basename(f) || isTempFileOf(f, name)))
      .map((name) => path.join(this.dir!, name));
  }

  /** Deletes every file of the stored model (modelFiles), nothing else; whether there was a model. */
  reset(): boolean {
    const had = this.exists();
    for (const f of this.modelFiles()) fs.rmSync(f, { force: true });
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
    const bytes = await fs.promises.readFile(source);
    let checkpoint: Checkpoint;
    try {
      checkpoint = decodeCheckpoint(bytes);   // the very bytes that are stored
    } catch (e) {
      throw new Error(`Cannot import ${path.basename(source)}: ${(e as Error).message}`);
    }
    this.ensureDir();
    const file = this.modelPath!;
    await writeFileAtomicAsync(file, bytes);   // the old checkpoint is whole until this rename
    try {
      for (const f of this.modelFiles()) if (f !== file) fs.rmSync(f, { force: true });
    } finally {
      this.emit('changed');   // the checkpoint did change, even if a stale file could not be removed
    }
    return summarize(checkpoint);
  }
}

export function summarize(ck: Checkpoint): ModelSummary {
  const h = ck.training.valBpcHistory;
  return {
    cell: ck.config.cell, layers: ck.config.layers, hidden: ck.config.hidden, vocabSize: ck.config.vocabSize,
    steps: ck.training.steps, charsSeen: ck.training.charsSeen, elapsedMs: ck.training.elapsedMs,
    valBpc: h.length ? h[h.length - 1][1] : undefined, valHistory: h.slice(),
  };
}
