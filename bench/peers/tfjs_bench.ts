// TensorFlow.js peer benchmark: the char-LSTM configs of DESIGN.md in TF.js 4.22 on the
// WebAssembly backend (SIMD), trained the way LSTM Lens trains.
//
//   node --import tsx bench/peers/tfjs_bench.ts [--configs A,B] [--threads 1] [--seconds 5]
//
// One JSON line per config and thread count on stdout:
//   {"system","config","threads","train_chars_per_s","sample_ms_per_char","prime_ms_2000", ...}
//   train_chars_per_s   T·B characters per step of forward, backward, global-norm clip 5, Adam,
//                       on one-hot input (V = 96), stateful LSTM layers (truncated BPTT)
//   sample_ms_per_char  a 2×256 LSTM (whatever the config, as DESIGN.md and `lstm-lens bench`),
//                       batch 1: step, softmax, multinomial, read the character back
//   prime_ms_2000       the same 2×256 LSTM, 2,000 characters as one sequence (predict), median of 5
//   train_chars_per_cpu_s  training chars per second of process CPU time: on a busy machine it
//                       approximates the quiet-machine speed of a single-threaded run
// TF.js's wasm backend is single-threaded under Node (its threaded build needs browser
// workers; tfjs issue #3830), so a thread count above 1 yields a row with null numbers.
// Progress and diagnostics go to stderr.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';

const V = 96;
const CONFIGS: Record<string, { layers: number; hidden: number; seq: number; batch: number }> = {
  A: { layers: 1, hidden: 128, seq: 64, batch: 32 },
  B: { layers: 2, hidden: 256, seq: 64, batch: 32 },
  C: { layers: 2, hidden: 512, seq: 100, batch: 64 },
};

function log(msg: string): void {
  process.stderr.write(msg + '\n');
}

function parseArgs(argv: string[]): { configs: string[]; threads: number[]; seconds: number } {
  const out = { configs: ['A', 'B'], threads: [1], seconds: 5 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i], v = argv[i + 1];
    if (a === '--configs' || a === '--config') { out.configs = v.split(',').map((s) => s.trim().toUpperCase()); i++; }
    else if (a === '--threads') { out.threads = v.split(',').map(Number); i++; }
    else if (a === '--seconds') { out.seconds = Number(v); i++; }
    else if (a === '--json') { /* output is always JSON lines */ }
    else throw new Error(`Unknown argument ${a}; use --configs A,B --threads 1 --seconds S.`);
  }
  for (const c of out.configs) if (!CONFIGS[c]) throw new Error(`Unknown config ${c}; use A, B or C.`);
  return out;
}

/** A char LSTM: L LSTM layers (σ gates as PyTorch, not Keras's hard sigmoid) then a dense decoder. */
function makeModel(layers: number, hidden: number, batchInputShape: (number | null)[], stateful: boolean): tfl.Sequential {
  const model = tfl.sequential();
  for (let k = 0; k < layers; k++) {
    model.add(tfl.layers.lstm({
      units: hidden, returnSequences: true, stateful, recurrentActivation: 'sigmoid',
      // glorot instead of the default orthogonal init: a QR of (H, 4H) in JS only slows startup
      recurrentInitializer: 'glorotUniform',
      ...(k === 0 ? { batchInputShape } : {}),
    }));
  }
  model.add(tfl.layers.dense({ units: V }));   // applied to the last axis: logits (B, T, V)
  return model;
}

function resetStates(model: tfl.Sequential): void {
  for (const layer of model.layers) if (layer instanceof tfl.RNN) layer.resetStates();
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** [chars per wall-clock second, chars per second of process CPU time] */
function benchTrain(model: tfl.Sequential, seq: number, batch: number, seconds: number): [number, number] {
  const optimizer = tf.train.adam(2e-3);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const corpus = new Int32Array(batch * (seq + 1) * 64);
  for (let i = 0; i < corpus.length; i++) corpus[i] = Math.floor(Math.random() * V);
  let chunk = 0;

  const step = (): void => {
    // ids (B, T+1) of this chunk; stateful layers carry each row's state to the next chunk
    const ids = new Int32Array(batch * (seq + 1));
    const base = (chunk++ % 64) * batch * (seq + 1);
    ids.set(corpus.subarray(base, base + ids.length));
    tf.tidy(() => {
      const all = tf.tensor2d(ids, [batch, seq + 1], 'int32');
      const x = tf.cast(tf.oneHot(tf.slice(all, [0, 0], [batch, seq]), V), 'float32');           // (B,T,V)
      const y = tf.reshape(tf.oneHot(tf.slice(all, [0, 1], [batch, seq]), V), [batch * seq, V]);
      const { grads } = tf.variableGrads(() => {
        const logits = tf.reshape(model.apply(x, { training: true }) as tf.Tensor, [batch * seq, V]);
        return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
      }, vars);
      // clip to global L2 norm 5, as torch.nn.utils.clip_grad_norm_
      const names = Object.keys(grads);
      const norm = tf.sqrt(tf.addN(names.map((n) => tf.sum(tf.square(grads[n])))));
      const scale = tf.minimum(tf.scalar(1), tf.div(tf.scalar(5), tf.add(norm, 1e-6)));
      const clipped: tf.NamedTensorMap = {};
      for (const n of names) clipped[n] = tf.mul(grads[n], scale);
      optimizer.applyGradients(names.map((name) => ({ name, tensor: clipped[name] })));
    });
    // the layers keep every chunk's old state for backprop until reset: reset now and then
    if (chunk % 64 === 0) resetStates(model);
  };

  for (let i = 0; i < 2; i++) step();   // warm-up: kernels, Adam slots
  // one synchronous read drains any queued work before the clock starts
  vars[0].dataSync();
  let steps = 0;
  const t0 = performance.now(), cpu0 = process.cpuUsage();
  while (steps < 2 || performance.now() - t0 < seconds * 1000) { step(); steps++; }
  vars[0].dataSync();
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0), cpuSeconds = (cpu.user + cpu.system) / 1e6;
  optimizer.dispose();
  return [steps * seq * batch / elapsed, steps * seq * batch / cpuSeconds];
}

const INFERENCE_MODEL = { layers: 2, hidden: 256 };   // of the sampling and priming measurements

function benchSample(seconds: number): number {
  const model = makeModel(INFERENCE_MODEL.layers, INFERENCE_MODEL.hidden, [1, 1, V], true);
  let id = 0;
  const one = (): void => {
    id = tf.tidy(() => {
      const x = tf.cast(tf.oneHot(tf.tensor2d([[id]], [1, 1], 'int32'), V), 'float32');    // (1,1,V)
      const logits = tf.reshape(model.predict(x) as tf.Tensor, [1, V]);
      return tf.multinomial(logits as tf.Tensor2D, 1).dataSync()[0];             // softmax inside
    });
  };
  for (let i = 0; i < 20; i++) one();
  let n = 0;
  const t0 = performance.now();
  while (n < 100 || performance.now() - t0 < seconds * 1000) { one(); n++; }
  const ms = (performance.now() - t0) / n;
  model.dispose();
  return ms;
}

function benchPrime(chars = 2000, reps = 5): number {
  const model = makeModel(INFERENCE_MODEL.layers, INFERENCE_MODEL.hidden, [1, null, V], false);
  const ids = Int32Array.from({ length: chars }, () => Math.floor(Math.random() * V));
  const times: number[] = [];
  for (let r = 0; r < reps + 1; r++) {
    const t0 = performance.now();
    tf.tidy(() => {
      const x = tf.cast(tf.oneHot(tf.tensor2d(ids, [1, chars], 'int32'), V), 'float32');
      (model.predict(x) as tf.Tensor).dataSync();
    });
    times.push(performance.now() - t0);
  }
  model.dispose();
  return median(times.slice(1));
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const wasmDir = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/';
  setWasmPaths(wasmDir);
  await tf.setBackend('wasm');
  await tf.ready();
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const threaded = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  log(`TF.js ${tf.version_core}, backend ${tf.getBackend()}, SIMD ${simd}, threads ${threaded ? 'yes' : 'no (single-threaded under Node)'}`);

  const system = `tfjs-${tf.version_core}-wasm`;
  for (const name of args.configs) {
    const { layers, hidden, seq, batch } = CONFIGS[name];
    for (const threads of args.threads) {
      const row = { system, config: name, threads, train_chars_per_s: null as number | null,
        sample_ms_per_char: null as number | null, prime_ms_2000: null as number | null,
        train_chars_per_cpu_s: null as number | null, load_average: loadavg()[0], note: undefined as string | undefined };
      if (threads !== 1 && !threaded) {
        row.note = 'wasm backend is single-threaded under Node';
      } else {
        const model = makeModel(layers, hidden, [batch, seq, V], true);
        const [wall, cpu] = benchTrain(model, seq, batch, args.seconds);
        row.train_chars_per_s = Math.round(wall * 10) / 10;
        row.train_chars_per_cpu_s = Math.round(cpu * 10) / 10;
        model.dispose();
        row.sample_ms_per_char = Math.round(benchSample(Math.min(2, args.seconds)) * 1e4) / 1e4;
        row.prime_ms_2000 = Math.round(benchPrime() * 100) / 100;
      }
      process.stdout.write(JSON.stringify(row) + '\n');
    }
  }
}

main().catch((e) => {
  process.stderr.write(`tfjs_bench: ${(e as Error).message}\n`);
  process.exit(1);
});
