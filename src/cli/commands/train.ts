// lstm-lens train <path...> --out FILE [--val <path...>] [--raw] [model, optimizer and budget options] [--resume] [--json]
import { existsSync, statSync } from 'node:fs';
import { DEFAULTS } from '../../defaults';
import type { ModelConfig, OptimizerName } from '../../engine/config';
import { whyNotWritable } from '../../model-files/atomic-write';
import { readCheckpointHeader } from '../../model-files/checkpoint-file';
import type { BackendChoice } from '../../runtime/kernels';
import { defaultThreadCount } from '../../training/parallel-trainer';
import { trainModel } from '../../training/train';
import { OptionTable, parseCommandLine, required, UsageError } from '../args';
import { nextSteps } from '../next-steps';
import { createProgressSink } from '../progress';

export const trainOptions: OptionTable = {
  out: { kind: 'string' }, val: { kind: 'string', multiple: true }, raw: { kind: 'flag' },
  cell: { kind: 'string', choices: ['lstm', 'gru', 'rnn'] }, layers: { kind: 'int', min: 1, max: 4 },
  hidden: { kind: 'int', min: 1, max: 4096 }, dropout: { kind: 'number', min: 0, max: 0.99 },
  seq: { kind: 'int', min: 1, max: 100000 }, batch: { kind: 'int', min: 1, max: 4096 },
  optimizer: { kind: 'string', choices: ['adam', 'rmsprop', 'adagrad', 'momentum', 'sgd'] },
  lr: { kind: 'number', min: 1e-12 }, 'lr-decay': { kind: 'number', min: 1e-6, max: 1 }, 'lr-decay-every': { kind: 'int', min: 0 },
  clip: { kind: 'number', min: 0 }, 'clip-value': { kind: 'number', min: 0 },
  minutes: { kind: 'number', min: 0 }, steps: { kind: 'int', min: 1 }, epochs: { kind: 'int', min: 1 },
  threads: { kind: 'int', min: 1, max: 64 }, seed: { kind: 'int', min: 0, max: 0xffffffff },
  'save-every': { kind: 'number', min: 1 }, resume: { kind: 'flag' }, json: { kind: 'flag' }, backend: { kind: 'string', choices: ['auto', 'wasm', 'ref'] },
};

export async function train(argv: string[]): Promise<number> {
  const p = parseCommandLine(argv, trainOptions, 'train');
  const v = p.values;
  const out = required<string>(p, 'out', 'train');
  if (p.positionals.length === 0) throw new UsageError('lstm-lens train needs at least one file or folder to train on.');
  if (existsSync(out) && statSync(out).isDirectory()) throw new UsageError(`--out ${out} is a folder; give a file name such as ${out}/model.safetensors.`);
  const resume = v.resume === true;
  if (!resume && existsSync(out)) {
    throw new UsageError(`${out} already exists; pass --resume to continue training it, or choose another --out.`);
  }
  if (resume && !existsSync(out)) throw new UsageError(`--resume needs an existing checkpoint, and ${out} does not exist.`);
  // a run that cannot save is lost whole: find out now, not after the budget
  const notWritable = whyNotWritable(out);
  if (notWritable) throw new UsageError(`Cannot save to ${out}: ${notWritable}.`);
  if (resume) {
    // A resumed run keeps the model's shape: a flag that asks for another is a mistake, not a wish.
    const had = (await readCheckpointHeader(out)).config;
    for (const k of ['cell', 'layers', 'hidden', 'dropout'] as const) {
      if (v[k] !== undefined && v[k] !== had[k]) {
        throw new UsageError(`--${k} ${v[k]} differs from the checkpoint's ${had[k]}; a resumed run keeps the model's shape.`);
      }
    }
  }
  const sink = createProgressSink(v.json === true);
  const budget = defined({ minutes: v.minutes, steps: v.steps, epochs: v.epochs }) as { minutes?: number; steps?: number; epochs?: number };
  if (budget.minutes === undefined && budget.steps === undefined && budget.epochs === undefined) budget.minutes = DEFAULTS.training.minutes;

  // Ctrl-C: finish the step, save, exit cleanly. A second Ctrl-C quits at once (the last
  // checkpoint on disk is whole either way: every write is atomic).
  let stopRequested = false;
  const onSignal = () => {
    if (stopRequested) process.exit(130);
    stopRequested = true;
    sink.notice('Stopping: saving a checkpoint (Ctrl-C again to quit without saving).');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const { model, training } = DEFAULTS;
  try {
    const result = await trainModel({
      corpus: { kind: 'paths', paths: p.positionals, raw: v.raw === true, valPaths: v.val as string[] | undefined },
      checkpointPath: out, resume, budget, backend: (v.backend as BackendChoice) ?? 'auto',
      // what a kill -9 can lose: the work since the last save
      intervals: { saveEveryMs: v['save-every'] !== undefined ? (v['save-every'] as number) * 1000 : DEFAULTS.intervals.saveEveryMs },
      settings: {
        cell: (v.cell as ModelConfig['cell']) ?? model.cell, layers: (v.layers as number) ?? model.layers, hidden: (v.hidden as number) ?? model.hidden,
        dropout: (v.dropout as number) ?? model.dropout, seqLength: (v.seq as number) ?? training.seqLength,
        batchSize: (v.batch as number) ?? training.batchSize, optimizer: (v.optimizer as OptimizerName) ?? training.optimizer,
        learningRate: (v.lr as number) ?? training.learningRate, seed: (v.seed as number) ?? training.seed,
        threads: (v.threads as number | undefined) ?? defaultThreadCount(),
        extra: defined({ lrDecay: v['lr-decay'], lrDecayEvery: v['lr-decay-every'], clipNorm: v.clip, clipValue: v['clip-value'] }),
      },
    }, {
      started: ({ session, backend, heldOutChanged }) => {
        if (session.threads > 1) sink.notice(`Training on ${session.threads} threads.`);
        if (heldOutChanged) sink.notice(heldOutChanged);
        const model = session.model.config;
        sink.notice(`Training a ${model.layers}×${model.hidden} ${model.cell.toUpperCase()} on ${session.data.length.toLocaleString('en-US')} characters ` +
          `(vocabulary ${session.vocab.size}) with ${backend} kernels.`);
      },
      progress: (e) => sink.progress(e), notice: (m) => sink.notice(m), shouldStop: () => stopRequested,
    });
    sink.end();
    if ('kept' in result && result.kept && result.kept.step !== result.progress.steps) {
      process.stderr.write(`Kept the model of step ${result.kept.step} (validation ${result.kept.valBpc.toFixed(3)} bits/char): ` +
        `the model at the end scored ${result.lastValBpc?.toFixed(3) ?? 'worse'}.\n`);
    }
    const val = result.valBpc === undefined ? '' : `, validation ${result.valBpc.toFixed(3)} bits/char`;
    process.stderr.write(`${result.reason === 'stopped' ? 'Stopped' : 'Done'} after ${result.progress?.steps ?? 0} steps${val}; saved ${out}\n`);
    if (v.json !== true) process.stderr.write(nextSteps(out));
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function defined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, x]) => x !== undefined));
}
