// The ceiling WebAssembly sets on this machine: the most float32 FLOP/s one thread can do with
// 128-bit SIMD, measured with a loop of nothing but independent multiply-adds, and what that
// ceiling means for each config's training speed (the matrix products' FLOPs per character).
//
//   node bench/simd-peak.mjs [--seconds S]
//
// Twelve independent accumulator chains, so that neither the FMA latency (4 cycles) nor the loop
// limits the rate: the figure is the throughput of the FMA units on 128-bit vectors. x86's wider
// vectors (AVX2, AVX-512: what OpenBLAS uses) have no WebAssembly counterpart, so no WASM kernel
// can exceed this rate; a GEMM reaches it only in its innermost loop.
import asc from 'assemblyscript/asc';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';

const argv = process.argv.slice(2);
const seconds = Number(argv[argv.indexOf('--seconds') + 1] || 1) || 1;

const CHAINS = 12;
const source = (fma) => `
export function run(n: i32, x: f32): f32 {
  const b = f32x4.splat(0.9999), c = f32x4.splat(1e-4);
${Array.from({ length: CHAINS }, (_, i) => `  let a${i} = f32x4.splat(x + ${i}.0);`).join('\n')}
  for (let i = 0; i < n; i++) {
${Array.from({ length: CHAINS }, (_, i) => `    a${i} = ${fma ? `f32x4.relaxed_madd(a${i}, b, c)` : `f32x4.add(f32x4.mul(a${i}, b), c)`};`).join('\n')}
  }
  let s = a0;
${Array.from({ length: CHAINS - 1 }, (_, i) => `  s = f32x4.add(s, a${i + 1});`).join('\n')}
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 3);
}`;

async function build(fma) {
  const dir = mkdtempSync(join(tmpdir(), 'simd-peak-'));
  try {
    writeFileSync(join(dir, 'peak.ts'), source(fma));
    const flags = ['--enable', 'simd', ...(fma ? ['--enable', 'relaxed-simd'] : [])];
    const { error, stderr } = await asc.main([join(dir, 'peak.ts'), '-O3', '--runtime', 'stub', ...flags, '-o', join(dir, 'peak.wasm')]);
    if (error) throw new Error(stderr.toString());
    const { instance } = await WebAssembly.instantiate(readFileSync(join(dir, 'peak.wasm')));
    return instance.exports.run;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Best GFLOP/s over repeated timed runs of about 50 ms each, for `seconds` in all. */
function measure(run) {
  const flopsPerIter = CHAINS * 4 * 2;
  let n = 1 << 16;
  for (;;) {   // size a run to ~50 ms
    const t = performance.now(); run(n, 1); const ms = performance.now() - t;
    if (ms > 50) break;
    n *= 2;
  }
  let best = 0;
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const t = performance.now(); run(n, 1); const s = (performance.now() - t) / 1000;
    best = Math.max(best, n * flopsPerIter / s / 1e9);
  }
  return best;
}

/** FLOPs of the matrix products per training character (forward + backward), LSTM, one-hot
 *  input (layer 0's input product is a gather, and it needs no input gradient). */
function flopsPerChar({ layers: L, hidden: H, vocab: V }) {
  const G = 4 * H;
  const forward = L * 2 * H * G + (L - 1) * 2 * H * G + 2 * H * V;   // W_hh every layer, W_ih above layer 0, decoder
  const backward = 2 * forward;                                       // an input and a weight gradient for each
  return forward + backward;
}

const CONFIGS = { A: { layers: 1, hidden: 128, vocab: 96 }, B: { layers: 2, hidden: 256, vocab: 96 }, C: { layers: 2, hidden: 512, vocab: 96 } };

setFlagsFromString('--experimental-wasm-relaxed-simd');   // Node 20: relaxed SIMD is behind a flag
const fmaPeak = measure(await build(true));
const mulAddPeak = measure(await build(false));
console.log(`one thread, 128-bit WebAssembly SIMD, ${CHAINS} independent chains, best of ${seconds} s:`);
console.log(`  f32x4.relaxed_madd (FMA):  ${fmaPeak.toFixed(1)} GFLOP/s`);
console.log(`  f32x4.mul + f32x4.add:     ${mulAddPeak.toFixed(1)} GFLOP/s`);
console.log('\nthe training speed that ceiling allows if every FLOP of every matrix product ran at it');
console.log('(nothing else counted: gates, softmax, packing, the optimizer all cost extra):');
for (const [name, c] of Object.entries(CONFIGS)) {
  const f = flopsPerChar(c);
  console.log(`  config ${name} (${c.layers}×${c.hidden}): ${(f / 1e6).toFixed(2)} MFLOP per character -> at most ${Math.round(fmaPeak * 1e9 / f).toLocaleString('en-US')} chars/s per thread`);
}
console.log("\nA peer's chars/s × MFLOP per character = the GFLOP/s it sustains (compare.mjs prints the chars/s).");
