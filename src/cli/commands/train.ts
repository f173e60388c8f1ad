// lstm-lens train <path...> --out FILE [--val <path...>] [--raw] [model, optimizer and budget options] [--resume] [--json]
import { existsSync, statSync } from 'node:fs';
import { DEFAULT_TRAIN, ModelConfig, OptimizerName } from '../../engine/config';
import { CorpusNGramWriter, streamsAsFiles } from '../../complete/load';
import { saveCheckpoint } from '../../model-files/checkpoint-file';
import { BackendChoice, pickKernels } from '../../runtime/kernels';
import { defaultThreadCount } from '../../training/parallel-trainer';
import { runTraining } from '../../training/run-loop';
import { CorruptCheckpointError, prepareSession } from '../../training/session';
import { OptionTable, parseCommandLine, required, UsageError } from '../args';
import { createProgressSink } from '../progress';
import { readTexts } from '../read-texts';

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
  resume: { kind: 'flag' }, json: { kind: 'flag' }, backend: { kind: 'string', choices: ['auto', 'wasm', 'ref'] },
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
  const sink = createProgressSink(v.json === true);
  const raw = v.raw === true;

  // The text; the model, vocabulary and trainer (resumed from --out when asked).
  const texts = await readTexts(p.positionals, { raw, split: !raw && !v.val, onNotice: (m) => sink.notice(m) });
  const valTexts = v.val ? (await readTexts(v.val as string[], { raw, split: false })).train : texts.val;
  if (resume && !existsSync(out)) throw new UsageError(`--resume needs an existing checkpoint, and ${out} does not exist.`);
  const picked = pickKernels((v.backend as BackendChoice) ?? 'auto');
  if (picked.fallbackReason) sink.notice(picked.fallbackReason);
  const trainText = texts.train.join('');
  const session = await prepareSession({
    trainText, valTexts, checkpointPath: resume ? out : undefined, kernels: picked.kernels,
    settings: {
      cell: (v.cell as ModelConfig['cell']) ?? 'lstm', layers: (v.layers as number) ?? 2, hidden: (v.hidden as number) ?? 256,
      dropout: (v.dropout as number) ?? 0, seqLength: (v.seq as number) ?? DEFAULT_TRAIN.seqLength,
      batchSize: (v.batch as number) ?? DEFAULT_TRAIN.batchSize, optimizer: (v.optimizer as OptimizerName) ?? DEFAULT_TRAIN.optimizer,
      learningRate: (v.lr as number) ?? DEFAULT_TRAIN.learningRate, seed: (v.seed as number) ?? DEFAULT_TRAIN.seed,
      threads: (v.threads as number | undefined) ?? defaultThreadCount(),
      extra: defined({ lrDecay: v['lr-decay'], lrDecayEvery: v['lr-decay-every'], clipNorm: v.clip, clipValue: v['clip-value'] }),
    },
  }).catch((e: unknown) => { throw e instanceof CorruptCheckpointError ? new Error(e.reason) : e; });
  const net = session.model;
  if (resume) {
    // A resumed run keeps the model's shape: a flag that asks for another is a mistake, not a wish.
    for (const k of ['cell', 'layers', 'hidden', 'dropout'] as const) {
      const given = v[k], had = net.config[k];
      if (given !== undefined && given !== had) {
        await session.close();
        throw new UsageError(`--${k} ${given} differs from the checkpoint's ${had}; a resumed run keeps the model's shape.`);
      }
    }
    if (session.stateNotice) sink.notice(session.stateNotice);
  }
  if (session.threads > 1) sink.notice(`Training on ${session.threads} threads.`);
  // the n-gram counts that completions mix with the LSTM, written beside the checkpoint at its first save
  const ngram = new CorpusNGramWriter(out, session.data, session.vocab.chars, raw ? [] : texts.train, raw ? [] : streamsAsFiles(valTexts));

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

  const { vocab, train: cfg } = session;
  const budget = defined({ minutes: v.minutes, steps: v.steps, epochs: v.epochs }) as { minutes?: number; steps?: number; epochs?: number };
  if (budget.minutes === undefined && budget.steps === undefined && budget.epochs === undefined) budget.minutes = 15;
  const model = net.config;
  sink.notice(`Training a ${model.layers}×${model.hidden} ${model.cell.toUpperCase()} on ${session.data.length.toLocaleString('en-US')} characters ` +
    `(vocabulary ${vocab.size}) with ${picked.description} kernels.`);
  try {
    const result = await runTraining({
      model: net, trainer: session.trainer, train: cfg, vocab: [...vocab.chars], val: session.val,
      unkId: vocab.unkId, outOfVocabCodePoints: vocab.outOfVocabCodePoints, budget, progress: session.progress,
      save: (ck, state) => {
        const failed = ngram.save();
        if (failed) sink.notice(failed);
        saveCheckpoint(out, ck, state);
      },
      onProgress: (e) => sink.progress(e), onNotice: (m) => sink.notice(m), shouldStop: () => stopRequested,
    });
    sink.end();
    const val = result.valBpc === undefined ? '' : `, validation ${result.valBpc.toFixed(3)} bits/char`;
    process.stderr.write(`${result.reason === 'stopped' ? 'Stopped' : 'Done'} after ${result.progress.steps} steps${val}; saved ${out}\n`);
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await session.close();
  }
}

function defined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, x]) => x !== undefined));
}
