// lstm-lens bench [--config A|B|C] [--threads N] [--backend auto|wasm|ref] [--json]
//
// The engine's speed on this machine, in DESIGN.md's configurations (V = 96, random text):
//   train_chars_per_s   forward, backward, clipping (norm 5) and Adam; the median of several
//                       timed windows after a warm-up
//   train_chars_per_cpu_s  the same windows' characters per second of the process's CPU time (all
//                       threads): on a shared machine, a 1-thread run's quiet-machine speed
//   sample_ms_per_char  a 2×256 LSTM at batch 1: feed one character, softmax, draw the next
//   prime_ms_2000       Stepper.primeLayerwise of 2,000 characters on the same 2×256 LSTM
//   peak_rss_mb         the process's peak resident memory (worker threads included)
import { DEFAULT_TRAIN, ModelConfig, TrainConfig } from '../../engine/config';
import type { Kernels } from '../../engine/kernels';
import { CharRNN } from '../../engine/model';
import { Rng } from '../../engine/rng';
import { Stepper } from '../../engine/stepper';
import { StepResult, Trainer } from '../../engine/trainer';
import { pickKernels } from '../../runtime/kernels';
import { defaultThreadCount, ParallelTrainer } from '../../training/parallel-trainer';
import { OptionTable, parseCommandLine, UsageError } from '../args';

export const benchOptions: OptionTable = {
  config: { kind: 'string', choices: ['A', 'B', 'C'] }, threads: { kind: 'int', min: 1, max: 64 },
  backend: { kind: 'string', choices: ['auto', 'wasm', 'ref'] }, json: { kind: 'flag' },
};

/** DESIGN.md's benchmark configurations (LSTM, vocabulary V); bench/engine.bench.ts uses the same table. */
export interface BenchConfig { layers: number; hidden: number; seqLength: number; batchSize: number }
export const CONFIGS: Record<string, BenchConfig> = {
  A: { layers: 1, hidden: 128, seqLength: 64, batchSize: 32 },
  B: { layers: 2, hidden: 256, seqLength: 64, batchSize: 32 },
  C: { layers: 2, hidden: 512, seqLength: 100, batchSize: 64 },
};
export const V = 96;
const WINDOWS = 5;          // timed windows; the median is reported
const WINDOW_MS = 1500;     // each at least this long (and at least one step)
const WARMUP_MS = 1500;     // untimed, at least two steps
const PRIME_CHARS = 2000;

export interface BenchResult {
  config: string;
  backend: string;
  threads: number;
  train_chars_per_s: number;
  train_chars_per_cpu_s: number;
  sample_ms_per_char: number;
  prime_ms_2000: number;
  peak_rss_mb: number;
}

export async function bench(argv: string[]): Promise<number> {
  const p = parseCommandLine(argv, benchOptions, 'bench');
  if (p.positionals.length > 0) throw new UsageError(`lstm-lens bench takes no files, but got "${p.positionals[0]}".`);
  const name = (p.values.config as string | undefined) ?? 'B';
  const picked = pickKernels((p.values.backend as 'auto' | 'wasm' | 'ref' | undefined) ?? 'auto');
  if (picked.fallbackReason) process.stderr.write(picked.fallbackReason + '\n');
  const json = p.values.json === true;
  const say = (m: string) => { if (!json) process.stderr.write(m + '\n'); };

  say(`Config ${name} with ${picked.description} kernels: training...`);
  const { charsPerSecond, charsPerCpuSecond, threads } = await trainSpeed(CONFIGS[name], picked.kernels,
    (p.values.threads as number | undefined) ?? defaultThreadCount());
  say('Sampling and priming a 2×256 LSTM...');
  const { msPerChar, primeMs } = inferenceSpeed(picked.kernels);
  const result: BenchResult = {
    config: name, backend: picked.kernels.name, threads,
    train_chars_per_s: Math.round(charsPerSecond),
    train_chars_per_cpu_s: Math.round(charsPerCpuSecond),
    sample_ms_per_char: round(msPerChar, 4),
    prime_ms_2000: round(primeMs, 1),
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
  };
  if (json) process.stdout.write(JSON.stringify(result) + '\n');
  else {
    process.stdout.write(
      `config ${result.config} (${result.backend}, ${result.threads} thread${result.threads > 1 ? 's' : ''})\n` +
      `  training         ${result.train_chars_per_s.toLocaleString('en-US')} chars/s (${result.train_chars_per_cpu_s.toLocaleString('en-US')} per CPU-second)\n` +
      `  sampling         ${result.sample_ms_per_char} ms/char (2×256 LSTM, batch 1)\n` +
      `  priming          ${result.prime_ms_2000} ms for ${PRIME_CHARS.toLocaleString('en-US')} chars\n` +
      `  peak memory      ${result.peak_rss_mb} MB\n`);
  }
  return 0;
}

/** Training chars/s: the median over timed windows of a warmed-up run. */
async function trainSpeed(c: BenchConfig, kernels: Kernels, threads: number):
  Promise<{ charsPerSecond: number; charsPerCpuSecond: number; threads: number }> {
  const config: ModelConfig = { cell: 'lstm', layers: c.layers, hidden: c.hidden, vocabSize: V, dropout: 0 };
  const cfg: TrainConfig = { ...DEFAULT_TRAIN, seqLength: c.seqLength, batchSize: c.batchSize, optimizer: 'adam', clipNorm: 5 };
  const model = new CharRNN(config, kernels, c.batchSize, c.seqLength);
  model.initParams(new Rng(1));
  const data = randomText(c.batchSize * (c.seqLength * 64 + 1), 2);   // 64 steps per epoch
  const parallel = threads > 1 ? await ParallelTrainer.create(model, cfg, data, { threads }) : null;
  const trainer: { step(): StepResult } = parallel ?? new Trainer(model, cfg, data);
  try {
    let seen = 0;   // target characters trained on so far
    const window = (minMs: number, minSteps: number): number => {
      const t0 = performance.now(), start = seen;
      for (let steps = 0; steps < minSteps || performance.now() - t0 < minMs; steps++) seen = trainer.step().charsSeen;
      return (seen - start) / ((performance.now() - t0) / 1000);
    };
    window(WARMUP_MS, 2);
    const rates: number[] = [];
    const cpu0 = process.cpuUsage(), seen0 = seen;
    for (let i = 0; i < WINDOWS; i++) rates.push(window(WINDOW_MS, 1));
    const cpu = process.cpuUsage(cpu0), cpuSeconds = (cpu.user + cpu.system) / 1e6;
    return { charsPerSecond: median(rates), charsPerCpuSecond: (seen - seen0) / cpuSeconds, threads: parallel?.threads ?? 1 };
  } finally {
    await parallel?.close();
  }
}

/** Batch-1 sampling ms/char and layer-wise priming of 2,000 characters, 2×256 LSTM. */
function inferenceSpeed(kernels: Kernels): { msPerChar: number; primeMs: number } {
  const model = new CharRNN({ cell: 'lstm', layers: 2, hidden: 256, vocabSize: V, dropout: 0 }, kernels, 1, 1);
  model.initParams(new Rng(3));
  const stepper = new Stepper(model);
  const rng = new Rng(4), probs = new Float32Array(V);
  let id = 0;
  const sampleWindow = (n: number): number => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      stepper.feed(id);
      stepper.probs(1, probs);
      id = draw(probs, rng.next());
    }
    return (performance.now() - t0) / n;
  };
  sampleWindow(500);
  const perChar: number[] = [];
  for (let i = 0; i < WINDOWS; i++) perChar.push(sampleWindow(1000));

  const prime = randomText(PRIME_CHARS, 5);
  const primeOnce = (): number => {
    stepper.reset();
    const t0 = performance.now();
    stepper.primeLayerwise(prime);
    return performance.now() - t0;
  };
  primeOnce();
  const primes: number[] = [];
  for (let i = 0; i < WINDOWS; i++) primes.push(primeOnce());
  return { msPerChar: median(perChar), primeMs: median(primes) };
}

function draw(p: Float32Array, u: number): number {
  let acc = 0;
  for (let v = 0; v < p.length; v++) { acc += p[v]; if (u < acc) return v; }
  return p.length - 1;
}

function randomText(n: number, seed: number): Int32Array {
  const rng = new Rng(seed), out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.int(V);
  return out;
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
