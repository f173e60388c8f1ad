// Samples shown to a person never hold UNK (U+FFFF, the vocabulary's "any other character"):
// the training run's progress samples (the Training panel's) and Vocab.textOf, which the CLI's
// `sample`, the stored-model sample and the running-model sample use. A model made to favour UNK
// draws it often; the text must leave it out.
import { strict as assert } from 'node:assert';
import { buildVocab, UNK } from '../../src/corpus/vocab';
import { DEFAULT_TRAIN, ModelConfig } from '../../src/engine/config';
import { createRefKernels } from '../../src/engine/kernels-ref';
import { CharRNN } from '../../src/engine/model';
import { paramLayout } from '../../src/engine/params';
import { Rng } from '../../src/engine/rng';
import { sample } from '../../src/engine/sample';
import { Trainer } from '../../src/engine/trainer';
import { runTraining } from '../../src/training/run-loop';

const TEXT = 'if (a) { return "b"; } // c\n'.repeat(40);

function unkProneModel() {
  const vocab = buildVocab(TEXT);
  const config: ModelConfig = { cell: 'lstm', layers: 1, hidden: 8, vocabSize: vocab.size, dropout: 0 };
  const train = { ...DEFAULT_TRAIN, seqLength: 8, batchSize: 2, learningRate: 1e-9 };
  const model = new CharRNN(config, createRefKernels(), train.batchSize, train.seqLength);
  model.initParams(new Rng(1));
  model.params[paramLayout(config).decoderBias.offset + vocab.unkId] = 3;   // UNK about half the time
  return { vocab, train, model };
}

describe('samples never show UNK', () => {
  it('the training run\'s progress samples (the Training panel)', async () => {
    const { vocab, train, model } = unkProneModel();
    const ids = vocab.encode(TEXT);
    const samples: string[] = [];
    await runTraining({
      model, trainer: new Trainer(model, train, ids), train, vocab: [...vocab.chars], val: [], unkId: vocab.unkId,
      outOfVocabCodePoints: vocab.outOfVocabCodePoints, budget: { steps: 3 }, progress: { steps: 0, charsSeen: 0, elapsedMs: 0, valBpcHistory: [] },
      save: () => {}, sampleEveryMs: 0, onProgress: (e) => { if (e.sample !== undefined) samples.push(e.sample); },
    });
    assert.ok(samples.length > 0 && samples.join('').length > 0);
    assert.equal(samples.join('').includes(UNK), false);
  });

  it('Vocab.textOf leaves UNK out of drawn ids, and decode keeps it', () => {
    const { vocab, model } = unkProneModel();
    const ids = sample(model, { length: 400, seed: 3 });
    assert.ok(ids.includes(vocab.unkId), 'the model draws UNK');
    assert.equal(vocab.textOf(ids).includes(UNK), false);
    assert.equal([...vocab.textOf(ids)].length, ids.filter((id) => id !== vocab.unkId).length);
    assert.ok(vocab.decode(ids).includes(UNK));
  });
});
