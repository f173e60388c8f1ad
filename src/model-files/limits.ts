// What a model file may be, beyond what the format checks: the limits below keep a file that is
// valid but absurd (a vocabulary of a million characters, weights that overflow every sum, a file
// of gigabytes) from starting work it cannot finish.
import type { ModelConfig } from '../engine/config';
import { paramLayout } from '../engine/params';
import { formatCount } from '../engine/safetensors';

/** Completions mix the LSTM with n-gram counts that keep character ids in 16 bits, one value
 *  reserved (src/complete/ngram.ts); a larger vocabulary would train, then fail at the first save
 *  or request. No training corpus comes near it (CJK text uses a few thousand characters). */
export const MAX_VOCAB_SIZE = 65_534;

/** The largest model the engine builds (validateModelConfig: 4 layers of 4,096 LSTM cells, the
 *  cell with the most gates) over a vocabulary of 256 characters, plus room for its header:
 *  about 1.9 GB, just under the 2 GiB that Node reads into one buffer. */
const LARGEST: ModelConfig = { cell: 'lstm', layers: 4, hidden: 4096, vocabSize: 256, dropout: 0 };
export const MAX_CHECKPOINT_BYTES = 4 * paramLayout(LARGEST).total + (16 << 20);

/** "1.9 GB": a file size for a sentence. */
export function formatBytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${formatCount(n)} bytes`;
}

/** One sentence when a (valid) model is too large for the tools to use, else undefined. */
export function vocabTooLarge(config: ModelConfig): string | undefined {
  if (config.vocabSize <= MAX_VOCAB_SIZE) return undefined;
  return `The model's vocabulary has ${formatCount(config.vocabSize)} characters, more than the ${formatCount(MAX_VOCAB_SIZE)} LSTM Lens can use.`;
}

/**
 * One sentence when the weights are so large that the model's sums overflow 32-bit floats, else
 * undefined. Every pre-activation is a sum of at most 2·hidden + 3 terms (the layer's inputs, its
 * recurrent row, two biases), each a weight times a value in [-1, 1], and softmax subtracts two
 * logits; so weights below FLT_MAX / (2 (2·hidden + 3)) keep every step finite. A trained
 * model's weights are a few units at most; values near 3e38 are a broken or hand-made file.
 */
export function weightsTooLarge(config: ModelConfig, params: Float32Array): string | undefined {
  let max = 0;
  for (let i = 0; i < params.length; i++) {
    const a = Math.abs(params[i]);
    if (a > max) max = a;
  }
  const limit = FLT_MAX / (2 * (2 * config.hidden + 3));
  if (max < limit) return undefined;
  return `The model's weights reach ${max.toExponential(1)}, past the ${limit.toExponential(1)} at which its sums overflow 32-bit floats.`;
}

const FLT_MAX = 3.4028234663852886e38;
