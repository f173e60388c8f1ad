// A checkpoint file made ready to run: the model on the chosen kernels and its vocabulary.
import type { Checkpoint } from '../engine/checkpoint';
import type { Kernels } from '../engine/kernels';
import { CharRNN } from '../engine/model';
import { Vocab, vocabFromChars } from '../corpus/vocab';
import { loadCheckpoint } from './checkpoint-file';

export interface LoadedModel { checkpoint: Checkpoint; model: CharRNN; vocab: Vocab }

/** maxB, maxT: the largest chunk the model will be run on (activations are preallocated). */
export function modelFromCheckpoint(ck: Checkpoint, kernels: Kernels, maxB: number, maxT: number): LoadedModel {
  const model = new CharRNN(ck.config, kernels, maxB, maxT);
  model.params.set(ck.params);
  return { checkpoint: ck, model, vocab: vocabFromChars(ck.vocab) };
}

export function loadModel(path: string, kernels: Kernels, maxB = 1, maxT = 256): LoadedModel {
  return modelFromCheckpoint(loadCheckpoint(path), kernels, maxB, maxT);
}
