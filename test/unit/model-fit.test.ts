// What Import Model learns of a model before taking it: summarize() keeps where another trainer
// wrote it (training.trainedWith, short strings and numbers only), and modelFit() says when it is
// too big for the machine, in one sentence with the numbers.
import { strict as assert } from 'node:assert';
import { Checkpoint, decodeCheckpoint, encodeCheckpoint, UNK } from '../../src/engine/checkpoint';
import type { ModelConfig } from '../../src/engine/config';
import { paramLayout } from '../../src/engine/params';
import { ENGINE_MACS_PER_MS, LOADED_COPIES, macsPerChar, modelFit, TYPICAL_CHARS } from '../../src/model-files/fit';
import { summarize } from '../../src/model-files/model-store';

const config: ModelConfig = { cell: 'lstm', layers: 1, hidden: 4, vocabSize: 4, dropout: 0 };
const GB = 2 ** 30;

function withTraining(extra: Record<string, unknown>): Checkpoint {
  const params = new Float32Array(paramLayout(config).total);
  return { config, vocab: ['a', 'b', '\n', UNK], params, training: { steps: 3, charsSeen: 2.1e9, elapsedMs: 5, valBpcHistory: [], ...extra } };
}

/** The summary of the checkpoint as it reads back from its bytes. */
const summaryOf = (ck: Checkpoint) => summarize(decodeCheckpoint(encodeCheckpoint(ck)));

describe('summarize: where a model was trained', () => {
  it('keeps the PyTorch trainer\'s trainedWith', () => {
    const trainedWith = { trainer: 'lstm_lens_torch 0.1.0', torch: '2.3.1+cu121', processes: 8, device: 'cuda' };
    assert.deepEqual(summaryOf(withTraining({ trainedWith })).trainedWith, trainedWith);
  });

  it('a checkpoint without it has no such field', () => {
    assert.equal('trainedWith' in summaryOf(withTraining({})), false);
  });

  it('keeps strings and finite numbers of bounded length only; nothing left or not an object: no field', () => {
    const s = summaryOf(withTraining({ trainedWith: {
      torch: '2.3', processes: 2, ok: 'x'.repeat(80), long: 'x'.repeat(81), nested: { a: 1 }, list: [1], flag: true,
      'bad key!': 'x',
    } }));
    assert.deepEqual(s.trainedWith, { torch: '2.3', processes: 2, ok: 'x'.repeat(80) });
    assert.deepEqual(summaryOf(withTraining({ trainedWith: { nul: null, ['k'.repeat(33)]: 'x', control: 'a\nb', nan: 'NaN', inf: 1e400 } })).trainedWith, { nan: 'NaN' });
    for (const odd of ['cuda', 7, [1, 2], { nested: { a: 1 } }, null]) {
      assert.equal(summaryOf(withTraining({ trainedWith: odd })).trainedWith, undefined, JSON.stringify(odd));
    }
    // at most 8 entries are looked at
    const many = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i]));
    assert.equal(Object.keys(summaryOf(withTraining({ trainedWith: many })).trainedWith!).length, 8);
  });
});

describe('modelFit: too big for the machine', () => {
  const big = { cell: 'lstm', layers: 3, hidden: 1024, vocabSize: 100 };
  const small = { cell: 'lstm', layers: 2, hidden: 256, vocabSize: 100 };

  it('counts the multiply-adds of one character: every layer, then the decoder', () => {
    assert.equal(macsPerChar(small), 4 * 256 * (100 + 256) + 4 * 256 * (256 + 256) + 100 * 256);
    assert.equal(macsPerChar({ cell: 'gru', layers: 1, hidden: 8, vocabSize: 5 }), 3 * 8 * (5 + 8) + 5 * 8);
  });

  it('the default 2×256 fits a laptop: no warning', () => {
    const f = modelFit(small, { totalMemBytes: 8 * GB }, 1500);
    assert.equal(f.params, paramLayout({ ...small, cell: 'lstm', dropout: 0 }).total);
    assert.equal(f.bytes, f.params * 4);
    assert.equal(f.tooBigForMemory || f.tooSlowForCompletions, false);
    assert.equal(f.warning, undefined);
  });

  it('memory: the weights in every worker that loads them against half of the machine\'s memory', () => {
    const f = modelFit(big, { totalMemBytes: 8 * GB }, 1e9);
    assert.equal(f.tooBigForMemory, false);
    const tight = modelFit(big, { totalMemBytes: f.bytes * LOADED_COPIES * 2 - 1 }, 1e9);
    assert.equal(tight.tooBigForMemory, true);
    assert.equal(modelFit(big, { totalMemBytes: f.bytes * LOADED_COPIES * 2 }, 1e9).tooBigForMemory, false);
    assert.match(tight.warning!, /^The 3×1024 LSTM model may be too big for this machine: its weights take 82 MB in each of up to 3 workers, more than half of this machine's 0\.5 GB of memory\.$/);
  });

  it('speed: a completion\'s characters at the engine\'s rate against the completion timeout', () => {
    const f = modelFit(big, { totalMemBytes: 64 * GB }, 1500);
    assert.equal(f.msPerChar, macsPerChar(big) / ENGINE_MACS_PER_MS);
    assert.equal(f.completionMs, f.msPerChar * TYPICAL_CHARS);
    assert.equal(f.tooSlowForCompletions, f.completionMs > 1500);
    assert.equal(modelFit(big, { totalMemBytes: 64 * GB }, f.completionMs - 1).tooSlowForCompletions, true);
    const slow = modelFit(big, { totalMemBytes: 64 * GB }, f.completionMs - 1);
    assert.match(slow.warning!, /^The 3×1024 LSTM model may be too big for this machine: at an estimated \d+\.\d ms per character a completion would take about \d+\.\d s, over the \d+\.\d s limit, so most would be dropped\.$/);
    // both: one sentence
    const both = modelFit({ ...big, hidden: 4096, layers: 4 }, { totalMemBytes: 2 * GB }, 1500);
    assert.equal(both.tooBigForMemory && both.tooSlowForCompletions, true);
    assert.match(both.warning!, /^The 4×4096 LSTM model may be too big for this machine: its weights take [\d,]+ MB .*; and at an estimated .* dropped\.$/);
  });
});
