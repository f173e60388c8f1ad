// lstm-lens sample --model FILE [--prime TEXT] [--length N] [--temperature T] [--seed S]
// At most N characters: a drawn UNK (the vocabulary's "any other character") is left out.
import { sample as sampleIds } from '../../engine/sample';
import { loadModel } from '../../model-files/load-model';
import { pickKernels } from '../../runtime/kernels';
import { OptionTable, parseCommandLine, required } from '../args';

export const sampleOptions: OptionTable = {
  model: { kind: 'string' }, prime: { kind: 'string' }, length: { kind: 'int', min: 1, max: 10_000_000 },
  temperature: { kind: 'number', min: 0, max: 100 }, seed: { kind: 'int', min: 0, max: 0xffffffff }, greedy: { kind: 'flag' },
};

export async function sample(argv: string[]): Promise<number> {
  const p = parseCommandLine(argv, sampleOptions, 'sample');
  const { model, vocab } = loadModel(required<string>(p, 'model', 'sample'), pickKernels().kernels);
  const prime = (p.values.prime as string | undefined) ?? '';
  const ids = sampleIds(model, {
    prime: prime ? vocab.encode(prime) : undefined, length: (p.values.length as number) ?? 500,
    temperature: p.values.greedy ? 0 : ((p.values.temperature as number) ?? 1), seed: (p.values.seed as number) ?? 1,
  });
  process.stdout.write(prime + vocab.textOf(ids) + '\n');
  return 0;
}
