// Training chars/s at 1 and 2 threads, on an idle machine and with one core taken by a CPU-bound
// process (`node -e 'for(;;){}'`, nice 0), side by side in one run: every round visits
// idle/busy × each trainer × each thread count, so the machine's drift lands on all alike; the
// table shows medians over rounds. Issue 17's target: with one core busy, the default thread
// count (all cores) trains at least as fast as one thread alone.
//
//   npm run build && nice npx tsx bench/busy-core.bench.ts [--rounds 3] [--seconds 6] [--threads 1,2]
//       [--config B] [--baseline DIR]
//
// --baseline DIR also measures another copy of src/training/parallel-trainer.ts (DIR/src, e.g. a
// checkout of main with its own dist/grad-worker.js) in the same rounds, as "baseline".
import { spawn, ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { CONFIGS, V } from '../src/cli/commands/bench';
import { DEFAULT_TRAIN, ModelConfig, TrainConfig } from '../src/engine/config';
import { CharRNN } from '../src/engine/model';
import { Rng } from '../src/engine/rng';
import { StepResult, Trainer } from '../src/engine/trainer';
import { loadWasmKernelsSync } from '../src/runtime/wasm-kernels';

const args = process.argv.slice(2);
const opt = (name: string, def: string) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : def; };
const rounds = Number(opt('rounds', '3')), seconds = Number(opt('seconds', '6'));
const threadCounts = opt('threads', '1,2').split(',').map(Number);
const cfgName = opt('config', 'B'), c = CONFIGS[cfgName];
const baselineDir = args.includes('--baseline') ? resolve(opt('baseline', '')) : undefined;

interface Stepper { step(): StepResult; close?(): Promise<void> }
type Factory = (model: CharRNN, cfg: TrainConfig, data: Int32Array, threads: number) => Promise<Stepper>;

async function parallelFactory(dir: string): Promise<Factory> {
  const mod = await import(`${dir}/src/training/parallel-trainer.ts`);
  // the bundled worker of that tree (its dist/), as the product runs it
  return (model, cfg, data, threads) => mod.ParallelTrainer.create(model, cfg, data, { threads, workerScript: `${dir}/dist/grad-worker.js` });
}

function randomText(n: number, seed: number): Int32Array {
  const rng = new Rng(seed), out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.int(V);
  return out;
}

/** chars/s of one trainer over `seconds` of wall-clock after two warm-up steps, and chars per
 *  CPU-second of this process (all its threads: what the work cost, whatever the neighbours did). */
async function measure(make: Factory, threads: number): Promise<[number, number]> {
  const kernels = loadWasmKernelsSync();
  const config: ModelConfig = { cell: 'lstm', layers: c.layers, hidden: c.hidden, vocabSize: V, dropout: 0 };
  const cfg: TrainConfig = { ...DEFAULT_TRAIN, seqLength: c.seqLength, batchSize: c.batchSize };
  const model = new CharRNN(config, kernels, c.batchSize, c.seqLength);
  model.initParams(new Rng(1));
  const data = randomText(c.batchSize * (c.seqLength * 64 + 1), 2);
  const trainer: Stepper = threads === 1 ? new Trainer(model, cfg, data) : await make(model, cfg, data, threads);
  try {
    trainer.step(); trainer.step();
    const t0 = performance.now(), cpu0 = process.cpuUsage();
    let chars = 0;
    while (performance.now() - t0 < seconds * 1000) { trainer.step(); chars += c.batchSize * c.seqLength; }
    const cpu = process.cpuUsage(cpu0);
    return [chars / ((performance.now() - t0) / 1000), chars / ((cpu.user + cpu.system) / 1e6)];
  } finally {
    await trainer.close?.();
  }
}

function busyCore(): ChildProcess {
  return spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' });
}

const median = (xs: number[]) => { const s = xs.slice().sort((a, b) => a - b); return s[s.length >> 1]; };

async function main(): Promise<void> {
  const trainers: [string, Factory][] = [['balanced', await parallelFactory(resolve(__dirname, '..'))]];
  if (baselineDir) trainers.push(['baseline', await parallelFactory(baselineDir)]);
  const cells = new Map<string, number[]>(), perCpu = new Map<string, number[]>();
  const loads: number[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const busy of r % 2 ? [true, false] : [false, true]) {
      const hog = busy ? busyCore() : undefined;
      try {
        for (const threads of threadCounts) {
          for (const [name, make] of threads === 1 ? [['single', trainers[0][1]] as [string, Factory]] : trainers) {
            loads.push(loadavg()[0]);
            const [cps, cpuRate] = await measure(make, threads);
            const key = `${busy ? 'busy' : 'idle'}|${name}|${threads}`;
            cells.set(key, [...(cells.get(key) ?? []), cps]);
            perCpu.set(key, [...(perCpu.get(key) ?? []), cpuRate]);
            process.stderr.write(`round ${r + 1} ${key}: ${Math.round(cps)} chars/s, ${Math.round(cpuRate)} chars/CPU-s\n`);
          }
        }
      } finally {
        hog?.kill();
      }
    }
  }
  console.log(`config ${cfgName} (${c.layers}×${c.hidden} LSTM, T ${c.seqLength}, B ${c.batchSize}), ${rounds} rounds × ${seconds} s, ` +
    `load average during the run ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}`);
  console.log('| machine | trainer | threads | chars/s (median, rounds) | ÷ 1 thread, same machine state | chars/CPU-s |');
  console.log('|---|---|---|---|---|---|');
  for (const busy of ['idle', 'busy']) {
    const one = median(cells.get(`${busy}|single|1`) ?? [NaN]);
    for (const [key, xs] of cells) {
      const [b, name, threads] = key.split('|');
      if (b !== busy) continue;
      const m = median(xs);
      console.log(`| ${b} | ${name} | ${threads} | ${Math.round(m)} (${xs.map(Math.round).join(', ')}) | ${(m / one).toFixed(2)} | ${Math.round(median(perCpu.get(key)!))} |`);
    }
  }
}
main().catch((e) => { console.error(e); process.exit(1); });
