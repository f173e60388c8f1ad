// One training run of the recipe with any of its knobs turned, for the held-out sweeps
// (bench/heldout/README.md). The same trainModel as `lstm-lens train --raw`; the extra flags
// reach the settings the CLI does not expose (schedule, warm-up, floor, betas, forget bias).
//   npx tsx bench/heldout/train.ts --train T.txt --val V.txt --out M.safetensors --steps N
//       [--threads 1] [--layers 2] [--hidden 256] [--seq 64] [--batch 32] [--lr 2e-3]
//       [--schedule cosine|linear|constant] [--warmup 100] [--floor 0.1] [--beta1 0.9] [--beta2 0.999]
//       [--forget-bias 1] [--unigram-bias 1|0] [--minutes M] [--resume]
// Prints one JSON line: {"steps","chars_per_s","val_bpc","kept_step","seconds"}.
import { parseArgs } from 'node:util';
import { DEFAULTS } from '../../src/defaults';
import type { TrainConfig } from '../../src/engine/config';
import { trainModel } from '../../src/training/train';

const KNOBS = ['train', 'val', 'out', 'steps', 'minutes', 'threads', 'layers', 'hidden', 'seq', 'batch', 'lr',
  'schedule', 'warmup', 'floor', 'beta1', 'beta2', 'forget-bias', 'unigram-bias', 'clip'];
const options: Record<string, { type: 'string' | 'boolean' }> = Object.fromEntries(KNOBS.map((k) => [k, { type: 'string' }]));
options.resume = { type: 'boolean' };
const v = parseArgs({ options }).values as Record<string, string | boolean | undefined>;
const num = (k: string, def: number) => (v[k] === undefined ? def : Number(v[k]));
const { model, training } = DEFAULTS;

async function main() {
  if (!v.train || !v.val || !v.out) throw new Error('--train, --val and --out are needed');
  const extra: Partial<TrainConfig> = {
    schedule: (v.schedule as TrainConfig['schedule']) ?? training.schedule,
    warmupSteps: num('warmup', training.warmupSteps), lrFloor: num('floor', training.lrFloor),
    beta1: num('beta1', training.beta1), beta2: num('beta2', training.beta2), clipNorm: num('clip', training.clipNorm),
  };
  const budget = v.minutes !== undefined ? { minutes: Number(v.minutes) } : { steps: num('steps', 1000) };
  const t0 = Date.now();
  let cps = 0;
  const r = await trainModel({
    corpus: { kind: 'paths', paths: [v.train as string], raw: true, valPaths: [v.val as string] },
    checkpointPath: v.out as string, resume: v.resume === true, budget,
    settings: {
      cell: 'lstm', layers: num('layers', model.layers), hidden: num('hidden', model.hidden), dropout: 0,
      seqLength: num('seq', training.seqLength), batchSize: num('batch', training.batchSize), optimizer: 'adam',
      learningRate: num('lr', training.learningRate), seed: training.seed, threads: num('threads', 1),
      forgetBias: num('forget-bias', model.forgetBias),
      unigramOutputBias: v['unigram-bias'] === undefined ? model.unigramOutputBias : v['unigram-bias'] === '1', extra,
    },
    // validation as the CLI's 15-minute default run does it, scaled by nothing: 40,000 chars
    intervals: { progressEveryMs: 5_000, evalEveryMs: 15_000, sampleEveryMs: 1e12, saveEveryMs: 60_000 },
  }, {
    progress: (e) => { cps = e.charsPerSecond; },
    notice: (m) => process.stderr.write(m + '\n'),
  });
  process.stdout.write(JSON.stringify({
    steps: r.progress?.steps, chars_per_s: Math.round(cps), val_bpc: r.valBpc, kept_step: 'kept' in r ? r.kept?.step : undefined,
    seconds: Math.round((Date.now() - t0) / 1000),
  }) + '\n');
}
main().catch((e) => { process.stderr.write(String(e?.stack ?? e) + '\n'); process.exit(1); });
