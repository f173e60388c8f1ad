// The engine end to end on one thread, in CPU time: training chars/s of configs A and B (forward,
// backward, clipping, Adam: Trainer.step), sampling ms/char and priming ms for 2,000 characters
// on a 2×256 LSTM at batch 1; with --profile, where a training step's time goes, per kernel op.
//
//   npx tsx bench/engine.bench.ts [--config A,B,C] [--backend wasm|ref] [--profile] [--engine DIR]
//
// --engine DIR runs another copy of src/engine (e.g. a saved baseline, with its own dist/ of
// .wasm files beside it) so that two versions can be measured alternately on the same machine.
// Time is the process's CPU time (process.cpuUsage): on a shared, loaded machine wall-clock
// time mostly measures the neighbours. Needs `npm run build` (dist/kernels-*.wasm).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ModelConfig, TrainConfig } from '../src/engine/config';
import type { Kernels } from '../src/engine/kernels';
import { CONFIGS, V } from '../src/cli/commands/bench';

const args = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const engineDir = resolve(opt('engine', resolve(__dirname, '../src/engine')));
const configs = opt('config', 'A,B').split(',');
const backend = opt('backend', 'wasm');
const profile = args.includes('--profile');
const trainCpuMs = Number(opt('ms', '4000'));


const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const median = (xs: number[]) => { const s = xs.slice().sort((a, b) => a - b); return s[s.length >> 1]; };

/** Wraps every op of a backend to add its CPU time (ms) into totals[op]. */
function timed(k: Kernels, totals: Record<string, number>): Kernels {
  const out: Record<string, unknown> = { ...k, name: k.name };
  for (const op of ['matmul', 'matmulBackward', 'gatherColumns', 'gatherColumnsBackward', 'cellForward', 'cellBackward',
    'softmaxCrossEntropy', 'matmulNN', 'recurrentForward', 'recurrentBackward', 'adamStep', 'sumSquares', 'scale']) {
    const f = (k as unknown as Record<string, unknown>)[op];
    if (typeof f !== 'function') continue;
    out[op] = (...a: unknown[]) => {
      const t0 = cpuMs();
      const r = (f as (...x: unknown[]) => unknown).apply(k, a);
      totals[op] = (totals[op] ?? 0) + cpuMs() - t0;
      return r;
    };
  }
  return out as unknown as Kernels;
}

async function main(): Promise<void> {
  const { CharRNN } = await import(`${engineDir}/model.ts`);
  const { Trainer } = await import(`${engineDir}/trainer.ts`);
  const { Stepper } = await import(`${engineDir}/stepper.ts`);
  const { Rng } = await import(`${engineDir}/rng.ts`);
  const { DEFAULT_TRAIN } = await import(`${engineDir}/config.ts`);
  const kernels: Kernels = backend === 'ref'
    ? (await import(`${engineDir}/kernels-ref.ts`)).createRefKernels()
    : existsSync(`${engineDir}/../runtime/wasm-kernels.ts`)
      ? (await import(`${engineDir}/../runtime/wasm-kernels.ts`)).loadWasmKernelsSync()
      : (await import(`${engineDir}/kernels-wasm.ts`)).createWasmKernelsSync();   // a checkout from before src/runtime
  console.log(`engine ${engineDir}, kernels ${kernels.name}, CPU time`);

  const randomText = (n: number, seed: number) => {
    const rng = new Rng(seed), out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = rng.int(V);
    return out;
  };

  for (const name of configs) {
    const c = CONFIGS[name];
    const totals: Record<string, number> = {};
    const k = profile ? timed(kernels, totals) : kernels;
    const config: ModelConfig = { cell: 'lstm', layers: c.layers, hidden: c.hidden, vocabSize: V, dropout: 0 };
    const cfg: TrainConfig = { ...DEFAULT_TRAIN, seqLength: c.seqLength, batchSize: c.batchSize, optimizer: 'adam', clipNorm: 5 };
    const model = new CharRNN(config, k, c.batchSize, c.seqLength);
    model.initParams(new Rng(1));
    const trainer = new Trainer(model, cfg, randomText(c.batchSize * (c.seqLength * 64 + 1), 2));
    for (let i = 0; i < 3; i++) trainer.step();
    for (const op in totals) delete totals[op];
    // windows of ≥ 1/5 of the budget; the median rate
    const rates: number[] = [];
    let total = 0, steps = 0;
    for (let w = 0; w < 5; w++) {
      const t0 = cpuMs();
      let chars = 0;
      const s0 = trainer.state().charsSeen;
      while (cpuMs() - t0 < trainCpuMs / 5) { chars = trainer.step().charsSeen - s0; steps++; }
      rates.push(chars / ((cpuMs() - t0) / 1000));
      total += cpuMs() - t0;
    }
    console.log(`config ${name}: ${Math.round(median(rates)).toLocaleString('en-US')} chars/s  (windows ${rates.map((r) => Math.round(r)).join(' ')})`);
    if (profile) {
      const perStep = (ms: number) => (ms / steps).toFixed(2).padStart(8);
      let inOps = 0;
      for (const [op, ms] of Object.entries(totals).sort((a, b) => b[1] - a[1])) {
        inOps += ms;
        console.log(`  ${op.padEnd(24)}${perStep(ms)} ms/step  ${(100 * ms / total).toFixed(1).padStart(5)}%`);
      }
      console.log(`  ${'rest (JS)'.padEnd(24)}${perStep(total - inOps)} ms/step  ${(100 * (total - inOps) / total).toFixed(1).padStart(5)}%  (all ${perStep(total)} ms/step)`);
    }
  }

  // batch-1 inference on a 2×256 LSTM
  const model = new CharRNN({ cell: 'lstm', layers: 2, hidden: 256, vocabSize: V, dropout: 0 }, kernels, 1, 1);
  model.initParams(new Rng(3));
  const stepper = new Stepper(model);
  const probs = new Float32Array(V), rng = new Rng(4);
  let id = 0;
  const sampleRun = (n: number) => {
    const t0 = cpuMs();
    for (let i = 0; i < n; i++) {
      stepper.feed(id);
      stepper.probs(1, probs);
      const u = rng.next();
      let acc = 0; id = V - 1;
      for (let v = 0; v < V; v++) { acc += probs[v]; if (u < acc) { id = v; break; } }
    }
    return (cpuMs() - t0) / n;
  };
  sampleRun(2000);
  const sample = median(Array.from({ length: 7 }, () => sampleRun(4000)));
  const prime = randomText(2000, 5);
  const primeRun = () => { stepper.reset(); const t0 = cpuMs(); stepper.primeLayerwise(prime); return cpuMs() - t0; };
  primeRun(); primeRun();
  const primeMs = median(Array.from({ length: 9 }, primeRun));
  console.log(`sampling 2×256 batch 1: ${sample.toFixed(4)} ms/char;  priming 2,000 chars: ${primeMs.toFixed(1)} ms`);
}

main().catch((e) => { console.error(e); process.exit(1); });
