// GFLOP/s of matmul and matmulBackward at the shapes of configs A and B, the reference kernels
// side by side with every WebAssembly variant this runtime can run; then µs per call of the
// pointwise kernels (and of the optimizer step and clipping over all of config B's parameters).
//
//   npx tsx bench/kernels.bench.ts [--quick]
// On Node 20 the relaxed-SIMD flag is switched on at run time (as createWasmKernels does), so
// this is the same as node --experimental-wasm-relaxed-simd --import tsx bench/kernels.bench.ts.
//
// Time is CPU time of this process (process.cpuUsage), best of several runs: on a shared
// machine wall-clock time mostly measures the neighbours. Needs `npm run build` (dist/*.wasm).
import { createRefKernels } from '../src/engine/kernels-ref';
import { loadWasmKernelsSync, enableRelaxedSimd, supportedWasmVariants } from '../src/runtime/wasm-kernels';
import type { Kernels } from '../src/engine/kernels';

const quick = process.argv.includes('--quick');
const RUN_MS = quick ? 40 : 120;
const TRIALS = quick ? 3 : 5;

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Best milliseconds per call of fn. */
function time(fn: () => void): number {
  fn(); fn();                                  // warm up (and tier up to optimized code)
  let reps = 1;
  for (;;) {
    const t0 = cpuMs();
    for (let i = 0; i < reps; i++) fn();
    const t = cpuMs() - t0;
    if (t >= RUN_MS / TRIALS || reps >= 1 << 20) break;
    reps *= 2;
  }
  let best = Infinity;
  for (let trial = 0; trial < TRIALS; trial++) {
    const t0 = cpuMs();
    for (let i = 0; i < reps; i++) fn();
    best = Math.min(best, (cpuMs() - t0) / reps);
  }
  return best;
}

function filled(k: Kernels, n: number): Float32Array {
  const a = k.alloc(n);
  for (let i = 0; i < n; i++) a[i] = Math.random() - 0.5;
  return a;
}

interface Shape { label: string; M: number; K: number; N: number }
const shapes: Shape[] = [
  { label: 'A recurrent  (B×H)·(H×4H)', M: 32, K: 128, N: 512 },
  { label: 'A decoder    (TB×H)·(H×V)', M: 2048, K: 128, N: 96 },
  { label: 'B recurrent  (B×H)·(H×4H)', M: 32, K: 256, N: 1024 },
  { label: 'B input proj (TB×H)·(H×4H)', M: 2048, K: 256, N: 1024 },
  { label: 'B decoder    (TB×H)·(H×V)', M: 2048, K: 256, N: 96 },
  { label: 'B sampling   (1×H)·(H×4H)', M: 1, K: 256, N: 1024 },
  { label: 'square 1024³', M: 1024, K: 1024, N: 1024 },
];

enableRelaxedSimd();   // Node 20: switch on the V8 flag at run time, as createWasmKernels does
const backends: Kernels[] = [createRefKernels()];
for (const variant of supportedWasmVariants()) backends.push(loadWasmKernelsSync({ variant }));
const names = backends.map((k) => k.name);
if (!supportedWasmVariants().includes('relaxed')) console.log('(relaxed SIMD is not available in this runtime)');

const col = (s: string, w = 13) => s.padStart(w);
console.log(`\nGFLOP/s (CPU time, best of ${TRIALS})`);
console.log('shape'.padEnd(30) + 'M×K×N'.padEnd(16) + 'op'.padEnd(10) + names.map((n) => col(n)).join(''));
for (const s of shapes) {
  const { M, K, N } = s;
  const rows: Record<string, string[]> = { matmul: [], backward: [] };
  for (const k of backends) {
    // the reference is slow: skip its biggest products
    if (k.name === 'ref' && M * K * N > 3e8) { rows.matmul.push('-'); rows.backward.push('-'); continue; }
    const x = filled(k, M * K), w = filled(k, N * K), bias = filled(k, N), out = k.alloc(M * N);
    const dout = filled(k, M * N), dx = k.alloc(M * K), dw = k.alloc(N * K), db = k.alloc(N);
    const tf = time(() => k.matmul(out, x, w, bias, M, K, N, false));
    const tb = time(() => k.matmulBackward(dx, dw, db, dout, x, w, M, K, N));
    rows.matmul.push((2 * M * K * N / tf / 1e6).toFixed(1));
    rows.backward.push((4 * M * K * N / tb / 1e6).toFixed(1));
  }
  for (const op of ['matmul', 'backward']) {
    console.log(s.label.padEnd(30) + `${M}×${K}×${N}`.padEnd(16) + op.padEnd(10) + rows[op].map((v) => col(v)).join(''));
  }
}

console.log('\nrecurrence over a chunk (T=64): ms per call, GFLOP/s of its products in parentheses');
console.log('op'.padEnd(46) + names.map((n) => col(n, 17)).join(''));
for (const [label, H] of [['A: lstm B=32 H=128', 128], ['B: lstm B=32 H=256', 256]] as [string, number][]) {
  const T = 64, B = 32, GH = 4 * H, n = B * H;
  const fwd: string[] = [], bwd: string[] = [];
  for (const k of backends) {
    if (k.name === 'ref') { fwd.push('-'); bwd.push('-'); continue; }
    const xg = filled(k, T * B * GH), whh = filled(k, GH * H), bhh = filled(k, GH);
    const hs = filled(k, (T + 1) * n), cs = filled(k, (T + 1) * n), act = k.alloc(T * B * GH);
    const dY = filled(k, T * n), dxg = k.alloc(T * B * GH), dw = k.alloc(GH * H), db = k.alloc(GH);
    const tf = time(() => k.recurrentForward('lstm', T, B, H, xg, whh, bhh, hs, cs, act, null));
    const tb = time(() => k.recurrentBackward('lstm', T, B, H, dY, hs, cs, act, null, whh, dxg, dxg, dw, db));
    const flops = 2 * T * B * H * GH;
    fwd.push(`${tf.toFixed(2)} (${(flops / tf / 1e6).toFixed(1)})`);
    bwd.push(`${tb.toFixed(2)} (${(2 * flops / tb / 1e6).toFixed(1)})`);
  }
  console.log(`recurrentForward  ${label}`.padEnd(46) + fwd.map((v) => col(v, 17)).join(''));
  console.log(`recurrentBackward ${label}`.padEnd(46) + bwd.map((v) => col(v, 17)).join(''));
}

console.log('\nµs per call, pointwise kernels');
console.log('kernel'.padEnd(46) + names.map((n) => col(n)).join(''));
const pointwise: [string, (k: Kernels) => () => void][] = [
  ['cellForward lstm B=32 H=256', (k) => {
    const B = 32, H = 256, xg = filled(k, B * 4 * H), hg = filled(k, B * 4 * H), hp = filled(k, B * H), cp = filled(k, B * H);
    const h = k.alloc(B * H), c = k.alloc(B * H), act = k.alloc(B * 4 * H);
    return () => k.cellForward('lstm', B, H, xg, hg, hp, cp, h, c, act);
  }],
  ['cellBackward lstm B=32 H=256', (k) => {
    const B = 32, H = 256, n = B * H;
    const dh = filled(k, n), dc = filled(k, n), act = filled(k, 4 * n), hg = filled(k, 4 * n), hp = filled(k, n);
    const cp = filled(k, n), c = filled(k, n), dxg = k.alloc(4 * n), dhg = k.alloc(4 * n), dhp = k.alloc(n), dcp = k.alloc(n);
    return () => k.cellBackward('lstm', B, H, dh, dc, act, hg, hp, cp, c, dxg, dhg, dhp, dcp);
  }],
  ['gatherColumns M=2048 N=1024 V=96', (k) => {
    const M = 2048, N = 1024, V = 96, out = k.alloc(M * N), w = filled(k, N * V), b = filled(k, N), idx = k.allocInt(M);
    for (let m = 0; m < M; m++) idx[m] = (m * 7) % V;
    return () => k.gatherColumns(out, w, b, idx, M, N, V);
  }],
  ['gatherColumnsBackward M=2048 N=1024 V=96', (k) => {
    const M = 2048, N = 1024, V = 96, dout = filled(k, M * N), dw = k.alloc(N * V), db = k.alloc(N), idx = k.allocInt(M);
    for (let m = 0; m < M; m++) idx[m] = (m * 7) % V;
    return () => k.gatherColumnsBackward(dw, db, dout, idx, M, N, V);
  }],
  ['gemvPacked N=1024 K=256 (sampling product)', (k) => {
    const m = k.packInference(filled(k, 1024 * 256), 1024, 256), x = filled(k, 256), out = k.alloc(1024), b = filled(k, 1024);
    return () => k.gemvPacked(out, m, x, b, false);
  }],
  ['inferenceSteps lstm H=256 n=1 (layer 1 of B)', (k) => {
    const H = 256, GH = 4 * H, wih = k.packInference(filled(k, GH * H), GH, H), whh = k.packInference(filled(k, GH * H), GH, H);
    const x = filled(k, H), b = filled(k, GH), h = filled(k, H), c = filled(k, H), act = k.alloc(GH);
    return () => k.inferenceSteps('lstm', 1, H, x, null, wih, b, whh, b, h, c, act, null);
  }],
  ['softmaxCrossEntropy M=2048 V=96', (k) => {
    const M = 2048, V = 96, logits = filled(k, M * V), d = k.alloc(M * V), t = k.allocInt(M);
    for (let m = 0; m < M; m++) t[m] = (m * 5) % V;
    return () => k.softmaxCrossEntropy(d, logits, t, M, V, 1 / M);
  }],
  // the optimizer step and clipping of a training step, on config B's 913,504 parameters
  ['adamStep P=913,504 (config B)', (k) => {
    const P = 913504, p = filled(k, P), g = filled(k, P), m = k.alloc(P), v = k.alloc(P);
    let t = 0;
    return () => {
      t++;
      k.adamStep(p, g, m, v, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, stepSize: 2e-3 / (1 - 0.9 ** t), bc2Sqrt: Math.sqrt(1 - 0.999 ** t) });
    };
  }],
  ['sumSquares + scale P=913,504 (clip by norm)', (k) => {
    const g = filled(k, 913504);
    return () => k.scale(g, 1 / Math.sqrt(k.sumSquares(g)));   // stays at norm 1: no drift over calls
  }],
];
for (const [label, make] of pointwise) {
  console.log(label.padEnd(46) + backends.map((k) => col((time(make(k)) * 1000).toFixed(1))).join(''));
}
