// The workspace's model on disk: <storageUri>/model.safetensors (+ its optimizer sidecar).
// Reading validates the whole file; a file that fails is never deleted, only renamed aside
// (model.safetensors.corrupt-<time>), so nothing is lost and the next run starts clean.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Checkpoint, decodeCheckpoint } from '../engine/checkpoint';
import { loadCheckpointAsync, trainingStatePath } from '../node/checkpoint-file';
import { writeFileAtomicAsync } from '../node/atomic-write';

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

export class ModelStore {
  /** dir is undefined when no folder is open (VS Code gives no workspace storage then). */
  constructor(readonly dir: string | undefined) {}

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

  /** Deletes the stored model and its optimizer state. */
  reset(): boolean {
    const file = this.modelPath;
    if (!file || !fs.existsSync(file)) return false;
    fs.rmSync(file, { force: true });
    fs.rmSync(trainingStatePath(file), { force: true });
    return true;
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

  /** Validates `source` fully, then replaces the stored model with it (its optimizer state is dropped). */
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
    fs.rmSync(trainingStatePath(file), { force: true });
    await writeFileAtomicAsync(file, bytes);
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
