// lstm-lens eval --model FILE <path...> [--raw] [--mixture] [--json]  ->  {"bpc","chars","oov"}
import { loadCompletionModel } from '../../complete/load';
import { scoreStreams, warmMixer } from '../../complete/score';
import { evaluateStreams } from '../../engine/eval';
import { loadModel } from '../../model-files/load-model';
import { pickKernels } from '../../runtime/kernels';
import { OptionTable, parseCommandLine, required, UsageError } from '../args';
import { readTexts } from '../../corpus/streams';

export const evalOptions: OptionTable = {
  model: { kind: 'string' }, raw: { kind: 'flag' }, mixture: { kind: 'flag' }, ngram: { kind: 'string' }, json: { kind: 'flag' },
};

export async function evaluate(argv: string[]): Promise<number> {
  const p = parseCommandLine(argv, evalOptions, 'eval');
  const modelPath = required<string>(p, 'model', 'eval');
  if (p.positionals.length === 0) throw new UsageError('lstm-lens eval needs at least one file or folder to score.');
  if (p.values.mixture) return evaluateMixture(modelPath, p.positionals, p.values.raw === true, p.values.ngram as string | undefined, p.values.json === true);
  const { model, vocab } = loadModel(modelPath, pickKernels().kernels, 16, 256);
  const texts = await readTexts(p.positionals, { raw: p.values.raw === true, split: false });
  const r = evaluateStreams(model, texts.train.map((t) => vocab.encode(t)), { unkId: vocab.unkId, outOfVocabCodePoints: vocab.outOfVocabCodePoints });
  if (r.chars === 0) throw new Error('There is nothing to score: every text has fewer than two characters.');
  const bpc = r.bits / r.chars;
  refuseNonFinite(bpc);
  if (p.values.json) process.stdout.write(JSON.stringify({ bpc, chars: r.chars, oov: r.oov }) + '\n');
  else process.stdout.write(`${bpc.toFixed(4)} bits per char over ${r.chars.toLocaleString('en-US')} characters (${r.oov} outside the vocabulary)\n`);
  return 0;
}

/** --mixture: the completion predictor's bits per char (the mixture of the LSTM and the n-gram
 *  counts stored beside the model, learned online), with each component's beside it. */
async function evaluateMixture(modelPath: string, paths: string[], raw: boolean, ngramPath: string | undefined, json: boolean): Promise<number> {
  const { model, notice } = loadCompletionModel(modelPath, pickKernels().kernels, ngramPath);
  if (!model.ngram) throw new Error(`--mixture needs the n-gram counts beside the model: ${notice}`);
  const texts = await readTexts(paths, { raw, split: false });
  // the mixer starts from the weights it learns on the held-out text stored with the counts, as in the editor
  const r = scoreStreams(model, texts.train.map((t) => model.encode(t)), { mixer: warmMixer(model) });
  if (r.chars === 0) throw new Error('There is nothing to score: every text has fewer than two characters.');
  const bpc = r.bits.mixture / r.chars, lstm = r.bits.lstm / r.chars, ngram = r.bits.ngram / r.chars;
  refuseNonFinite(bpc);
  if (json) process.stdout.write(JSON.stringify({ bpc, chars: r.chars, oov: r.oov, lstm_bpc: lstm, ngram_bpc: ngram }) + '\n');
  else {
    process.stdout.write(`${bpc.toFixed(4)} bits per char (mixture) over ${r.chars.toLocaleString('en-US')} characters (${r.oov} outside the vocabulary); ` +
      `LSTM alone ${lstm.toFixed(4)}, ${model.ngram.order}-gram alone ${ngram.toFixed(4)}\n`);
  }
  return 0;
}

/** A model whose probabilities underflow to 0 (or become NaN) has no score: say so, never print NaN. */
function refuseNonFinite(bpc: number): void {
  if (!Number.isFinite(bpc)) {
    throw new Error(`Scoring gave ${Number.isNaN(bpc) ? 'no number' : 'infinite'} bits per char: the model gives some characters a probability of zero (its weights are likely far too large).`);
  }
}
