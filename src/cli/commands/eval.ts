// lstm-lens eval --model FILE <path...> [--raw] [--mixture [--no-adapt] [--without PARTS] [--dynamic output|full|off]] [--json]  ->  {"bpc","chars","oov",…}
import { loadCompletionModel } from '../../complete/load';
import { scoreStreams, warmMixer } from '../../complete/score';
import { evaluateStreams } from '../../engine/eval';
import { loadModel } from '../../model-files/load-model';
import { pickKernels } from '../../runtime/kernels';
import { OptionTable, parseCommandLine, required, UsageError } from '../args';
import { readTexts } from '../../corpus/streams';
import { ABLATIONS, Ablation, AdaptivePredictor } from '../../complete/adaptive/adaptive-predictor';
import { scoreAdaptive, warmAdaptive } from '../../complete/adaptive/adaptive-score';
import { loadAdaptiveState } from '../../complete/adaptive/adaptive-state';
import { adaptivePathFor } from '../../model-files/paths';
import { dynamicLstmLike, dynamicLstmOf } from '../../complete/adaptive/dynamic-component';
import type { DynamicEvalMode } from '../../complete/adaptive/dynamic-lstm';

export const evalOptions: OptionTable = {
  model: { kind: 'string' }, raw: { kind: 'flag' }, mixture: { kind: 'flag' }, ngram: { kind: 'string' }, json: { kind: 'flag' },
  'no-adapt': { kind: 'flag' }, without: { kind: 'list' }, dynamic: { kind: 'string', choices: ['output', 'full', 'off'] },
};
/** The LSTM's dynamic evaluation in the adaptive predictor unless --dynamic says otherwise. */
export const DEFAULT_DYNAMIC: DynamicEvalMode = 'output';

export async function evaluate(argv: string[]): Promise<number> {
  const p = parseCommandLine(argv, evalOptions, 'eval');
  const modelPath = required<string>(p, 'model', 'eval');
  if (p.positionals.length === 0) throw new UsageError('lstm-lens eval needs at least one file or folder to score.');
  const noAdapt = p.values['no-adapt'] === true, without = (p.values.without as string[] | undefined) ?? [];
  if ((noAdapt || without.length) && !p.values.mixture) throw new UsageError(`--${noAdapt ? 'no-adapt' : 'without'} applies to --mixture only.`);
  if (noAdapt && without.length) throw new UsageError('--without removes parts of the adaptive predictor, which --no-adapt leaves out altogether; give one of them.');
  if (p.values.dynamic !== undefined && (noAdapt || !p.values.mixture)) throw new UsageError('--dynamic sets how the adaptive mixture\'s LSTM learns as it reads: it applies to --mixture without --no-adapt.');
  for (const w of without) if (!(ABLATIONS as readonly string[]).includes(w)) throw new UsageError(`--without takes parts among ${ABLATIONS.join(', ')}, not "${w}".`);
  if (p.values.mixture) {
    const raw = p.values.raw === true, ngram = p.values.ngram as string | undefined, json = p.values.json === true;
    if (noAdapt) return evaluateMixture(modelPath, p.positionals, raw, ngram, json);
    return evaluateAdaptive(modelPath, p.positionals, raw, ngram, json, new Set(without as Ablation[]),
      (p.values.dynamic as DynamicEvalMode | undefined) ?? DEFAULT_DYNAMIC);
  }
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

/** --mixture: the adaptive predictor's bits per char, each stream read from its start in order,
 *  everything learned online (each character only after it is scored), with each component's
 *  own bits beside it. The mixer and SSE first learn from the held-out text stored with the counts,
 *  as in the editor. */
async function evaluateAdaptive(modelPath: string, paths: string[], raw: boolean, ngramPath: string | undefined, json: boolean,
  without: ReadonlySet<Ablation>, dynamic: DynamicEvalMode): Promise<number> {
  const { model, notice } = loadCompletionModel(modelPath, pickKernels().kernels, ngramPath);
  if (notice && !json) process.stderr.write(notice + '\n');
  const texts = await readTexts(paths, { raw, split: false });
  const t0 = performance.now();
  // the LSTM learns from each character right after it is scored (eager), so the figures do not
  // depend on the machine's speed; 'off': the trained LSTM, frozen
  const lstmDyn = dynamic === 'off' || without.has('lstm') ? null : dynamicLstmOf(model, dynamic);
  const predictor = new AdaptivePredictor(model, { without, lstm: lstmDyn ? dynamicLstmLike(lstmDyn, 'eager') : undefined });
  // what an editor session learned and saved beside the model, else the warm-up it would do
  const state = loadAdaptiveState(adaptivePathFor(modelPath), predictor, model.vocab.chars);
  if (state.notice && !json) process.stderr.write(state.notice + '\n');
  if (!state.loaded) {
    warmAdaptive(predictor, model);
    lstmDyn?.restoreTrained();   // the warm-up text is no document of the session
  }
  const t1 = performance.now(), cpu1 = process.cpuUsage();
  const r = scoreAdaptive(predictor, model, texts.train.map((t) => model.encode(t)));
  const seconds = (performance.now() - t1) / 1000;
  // CPU time of this thread's reading (on a busy machine, wall time says how busy it is)
  const cpu = process.cpuUsage(cpu1), cpuSeconds = (cpu.user + cpu.system) / 1e6;
  if (r.chars === 0) throw new Error('There is nothing to score: every text has fewer than two characters.');
  const bpc = r.bits / r.chars;
  refuseNonFinite(bpc);
  const components: Record<string, number> = {};
  for (const [name, bits] of Object.entries(r.components)) components[name] = bits / r.chars;
  if (json) {
    process.stdout.write(JSON.stringify({ bpc, chars: r.chars, oov: r.oov, components, without: [...without], dynamic,
      chars_per_s: Math.round(r.chars / seconds), chars_per_cpu_s: Math.round(r.chars / cpuSeconds), warmup_s: (t1 - t0) / 1000, memory_bytes: predictor.memoryBytes,
      lstm_bpc: components.lstm, ngram_bpc: components.counts }) + '\n');
  } else {
    const each = Object.entries(components).map(([n, b]) => `${n} alone ${b.toFixed(4)}`).join(', ');
    process.stdout.write(`${bpc.toFixed(4)} bits per char (adaptive mixture${without.size ? ` without ${[...without].join(', ')}` : ''}) over ` +
      `${r.chars.toLocaleString('en-US')} characters (${r.oov} outside the vocabulary); ${each}\n`);
  }
  return 0;
}

/** --mixture --no-adapt: the editor's mixture before the adaptive predictor (the LSTM and the
 *  n-gram counts stored beside the model, the stream's overlay recounted every 2,000 characters,
 *  one logistic mixer learned online), with each component's bits beside it. */
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
