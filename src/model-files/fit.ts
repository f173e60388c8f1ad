// Whether a model fits this machine, decided before anything loads it (Import Model asks):
//
//   memory  the extension holds the weights (parameters × 4 bytes) in up to LOADED_COPIES
//           workers at once (completions, the cells panel, a sample or a training run); that
//           must stay under half of the machine's memory (os.totalmem(): freemem() changes from
//           one second to the next)
//   speed   a completion (after the first in a document) reads what was typed and writes up to a
//           line, TYPICAL_CHARS characters, one step of the whole network each; at the engine's
//           batch-1 rate (ENGINE_MACS_PER_MS: a 3×1024 LSTM, 21.6M multiply-adds per character,
//           sampled at 1.4–1.7 CPU-ms per character by bench/big-model.bench.ts, 13–15M per ms,
//           rounded down to be safe) that must stay under the completion timeout, or every completion is
//           dropped
//
// An estimate, said as one; when completions do time out in the editor they say so themselves
// (src/extension/completions/completions.ts). No vscode import.
import type { CellType, ModelConfig } from '../engine/config';
import { paramLayout } from '../engine/params';

export const LOADED_COPIES = 3;
/** Multiply-adds per millisecond of the engine stepping batch 1 (bench/big-model.bench.ts: 13–15M measured). */
export const ENGINE_MACS_PER_MS = 1e7;
/** Characters a completion steps: the one typed and a line of suggestion. */
export const TYPICAL_CHARS = 40;

export interface ModelFit {
  params: number;
  /** bytes of the weights in one worker */
  bytes: number;
  /** estimated ms per character of inference, batch 1 */
  msPerChar: number;
  /** estimated ms of one completion (TYPICAL_CHARS characters) */
  completionMs: number;
  tooBigForMemory: boolean;
  tooSlowForCompletions: boolean;
  /** one sentence with the numbers when either holds */
  warning?: string;
}

/** Multiply-adds of one character's step: every layer's input and recurrent matrices, then the decoder. */
export type Shape = Pick<ModelConfig, 'layers' | 'hidden' | 'vocabSize'> & { cell: string };

export function macsPerChar(c: Shape): number {
  const gates = c.cell === 'lstm' ? 4 : c.cell === 'gru' ? 3 : 1;
  let macs = c.vocabSize * c.hidden;
  for (let l = 0; l < c.layers; l++) macs += gates * c.hidden * ((l === 0 ? c.vocabSize : c.hidden) + c.hidden);
  return macs;
}

export function modelFit(c: Shape, machine: { totalMemBytes: number }, completionTimeoutMs: number): ModelFit {
  const params = paramLayout({ ...c, cell: c.cell as CellType, dropout: 0 }).total;
  const bytes = params * 4;
  const msPerChar = macsPerChar(c) / ENGINE_MACS_PER_MS;
  const completionMs = msPerChar * TYPICAL_CHARS;
  const tooBigForMemory = bytes * LOADED_COPIES > machine.totalMemBytes / 2;
  const tooSlowForCompletions = completionMs > completionTimeoutMs;
  const name = `${c.layers}×${c.hidden} ${c.cell.toUpperCase()}`;
  const mb = (b: number) => `${Math.round(b / 2 ** 20).toLocaleString('en-US')} MB`;
  const gb = (b: number) => `${(b / 2 ** 30).toFixed(1)} GB`;
  const parts: string[] = [];
  if (tooBigForMemory) parts.push(`its weights take ${mb(bytes)} in each of up to ${LOADED_COPIES} workers, more than half of this machine's ${gb(machine.totalMemBytes)} of memory`);
  if (tooSlowForCompletions) parts.push(`at an estimated ${msPerChar.toFixed(1)} ms per character a completion would take about ${(completionMs / 1000).toFixed(1)} s, over the ${(completionTimeoutMs / 1000).toFixed(1)} s limit, so most would be dropped`);
  const warning = parts.length ? `The ${name} model may be too big for this machine: ${parts.join('; and ')}.` : undefined;
  return { params, bytes, msPerChar, completionMs, tooBigForMemory, tooSlowForCompletions, warning };
}
