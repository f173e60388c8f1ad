// lstm-lens eval --model FILE <path...> [--raw] [--mixture] [--json]  ->  {"bpc","chars","oov"}
import { evaluateStreams } from '../../engine/eval';
import { loadModel } from '../../node/load-model';
import { pickKernels } from '../../node/kernels';
import { OptionTable, parseCommandLine, required, UsageError } from '../args';
import { readTexts } from '../read-texts';

export const evalOptions: OptionTable = { model: { kind: 'string' }, raw: { kind: 'flag' }, mixture: { kind: 'flag' }, json: { kind: 'flag' } };

export async function evaluate(argv: string[]): Promise<number> {
  const p = parseCommandLine(argv, evalOptions, 'eval');
  const modelPath = required<string>(p, 'model', 'eval');
  if (p.positionals.length === 0) throw new UsageError('lstm-lens eval needs at least one file or folder to score.');
  if (p.values.mixture) throw new UsageError('--mixture needs the n-gram counts of the completion model, which this build does not have yet.');
  const { model, vocab } = loadModel(modelPath, pickKernels().kernels, 16, 256);
  const texts = await readTexts(p.positionals, { raw: p.values.raw === true, split: false });
  const r = evaluateStreams(model, texts.train.map((t) => vocab.encode(t)), { unkId: vocab.unkId, outOfVocabCodePoints: vocab.outOfVocabCodePoints });
  if (r.chars === 0) throw new Error('There is nothing to score: every text has fewer than two characters.');
  const bpc = r.bits / r.chars;
  if (p.values.json) process.stdout.write(JSON.stringify({ bpc, chars: r.chars, oov: r.oov }) + '\n');
  else process.stdout.write(`${bpc.toFixed(4)} bits per char over ${r.chars.toLocaleString('en-US')} characters (${r.oov} outside the vocabulary)\n`);
  return 0;
}
