// lstm-lens corpus <path...> --out DIR [--raw]  ->  DIR/train.txt, DIR/val.txt, DIR/vocab.json
//
// The text `lstm-lens train` would train on, for another trainer (python/lstm_lens_torch): the
// same corpus reading (readCorpus, the function train itself calls), so the same rules, headers
// and split, and the vocabulary a new model would get (buildVocab: sorted code points, UNK last).
//   train.txt   the training streams joined, UTF-8
//   val.txt     the validation streams joined (each starts with its file's header line), UTF-8;
//               empty with --raw
//   vocab.json  JSON array of one-code-point strings, index = id, UNK (U+FFFF) last
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildVocab } from '../../corpus/vocab';
import { readCorpus } from '../../training/train';
import { OptionTable, parseCommandLine, required, UsageError } from '../args';

export const corpusOptions: OptionTable = { out: { kind: 'string' }, raw: { kind: 'flag' } };

export async function corpus(argv: string[]): Promise<number> {
  const p = parseCommandLine(argv, corpusOptions, 'corpus');
  const out = required<string>(p, 'out', 'corpus');
  if (p.positionals.length === 0) throw new UsageError('lstm-lens corpus needs at least one file or folder to read.');
  if (existsSync(out) && !statSync(out).isDirectory()) throw new UsageError(`--out ${out} is a file; give a folder to write train.txt, val.txt and vocab.json into.`);

  const text = await readCorpus({ kind: 'paths', paths: p.positionals, raw: p.values.raw === true });
  if (text.report.summary) process.stderr.write(text.report.summary + '\n');
  const vocab = buildVocab(text.train);
  const val = text.val.join('');

  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'train.txt'), text.train, 'utf8');
  writeFileSync(join(out, 'val.txt'), val, 'utf8');
  writeFileSync(join(out, 'vocab.json'), JSON.stringify(vocab.chars) + '\n', 'utf8');
  const files = (n: number) => `${n} ${n === 1 ? 'file' : 'files'}`;
  process.stderr.write(`Wrote ${join(out, 'train.txt')} (${countCodePoints(text.train).toLocaleString('en-US')} characters, ` +
    `${files(text.report.trainFiles)}), val.txt (${countCodePoints(val).toLocaleString('en-US')} characters, ${files(text.report.valFiles)}) ` +
    `and vocab.json (${vocab.size} characters, UNK last).\n`);
  return 0;
}

/** Characters as the engine counts them: code points (a surrogate pair is one). */
function countCodePoints(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff) n++;   // a pair's low half adds nothing to its high half
  }
  return n;
}
