// A small completion model for the completion tests: a randomly initialised char-LSTM (near
// uniform predictions) and a 10-gram counted from CODE, which makes completions of text like
// CODE confident. Built in memory, or written to disk as training writes it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CompletionModel } from '../../src/complete/completion-model';
import { buildCorpusNGram } from '../../src/complete/ngram-file';
import { saveNGramBeside } from '../../src/complete/load';
import { buildVocab } from '../../src/corpus/vocab';
import { fileHeader } from '../../src/corpus/build';
import { DEFAULT_TRAIN } from '../../src/engine/config';
import { createRefKernels } from '../../src/engine/kernels-ref';
import { CharRNN } from '../../src/engine/model';
import { Rng } from '../../src/engine/rng';
import { saveCheckpoint } from '../../src/model-files/checkpoint-file';

export const CODE = `export function add(a: number, b: number): number {
  return a + b;
}

export function greet(name: string): string {
  if (name === '') {
    return 'hello, world';
  }
  return 'hello, ' + name;
}

export class Counter {
  private count = 0;

  increment(): number {
    this.count += 1;
    return this.count;
  }
}
`;

export const HEADER = fileHeader('src/greet.ts');

export interface TinyOptions { hidden?: number; layers?: number; ngram?: boolean; seed?: number }

export function tinyParts(o: TinyOptions = {}) {
  const corpus = HEADER + CODE.repeat(3);
  const vocab = buildVocab(corpus);
  const rnn = new CharRNN({ cell: 'lstm', layers: o.layers ?? 1, hidden: o.hidden ?? 16, vocabSize: vocab.size, dropout: 0 }, createRefKernels(), 1, 1);
  rnn.initParams(new Rng(o.seed ?? 7));
  const ngram = o.ngram === false ? null : buildCorpusNGram(vocab.encode(corpus), vocab.size);
  return { rnn, vocab, ngram, corpus };
}

export function tinyModel(o: TinyOptions = {}): CompletionModel {
  const { rnn, vocab, ngram } = tinyParts(o);
  return new CompletionModel({ rnn, vocab, ngram, extensions: ['.ts'] });
}

/** Writes the model as a training run does (checkpoint + n-gram beside it); returns its path. */
export function writeTinyModel(dir: string, o: TinyOptions = {}): string {
  const { rnn, vocab, ngram } = tinyParts(o);
  const file = path.join(dir, 'model.safetensors');
  fs.mkdirSync(dir, { recursive: true });
  saveCheckpoint(file, {
    config: rnn.config, train: DEFAULT_TRAIN, vocab: [...vocab.chars], params: rnn.params,
    training: { steps: 10, charsSeen: 1000, elapsedMs: 1000, valBpcHistory: [[1000, 3.5]] },
  });
  if (ngram) saveNGramBeside(file, ngram, vocab.chars, ['.ts'], { files: ['src/held.ts'], streams: [fileHeader('src/held.ts') + CODE.replace(/greet/g, 'hail')] });
  return file;
}
