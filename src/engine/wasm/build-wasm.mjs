// Compiles the AssemblyScript kernels (assembly/index.ts) three times into <distDir>:
//   kernels-relaxed.wasm  SIMD128 + relaxed SIMD (f32x4.relaxed_madd)
//   kernels-simd.wasm     SIMD128
//   kernels-scalar.wasm   no SIMD (portable fallback)
// The source switches on the compiler's ASC_FEATURE_SIMD / ASC_FEATURE_RELAXED_SIMD constants.
// All three import a shared memory (env.memory) that the host creates; see kernels-wasm.ts.
// usage: node src/engine/wasm/build-wasm.mjs <distDir>     (run by scripts/build.mjs)
import asc from 'assemblyscript/asc';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');
const distDir = resolve(process.argv[2] ?? join(root, 'dist'));
mkdirSync(distDir, { recursive: true });

const common = [
  join(here, 'assembly/index.ts'),
  '-O3', '--noAssert', '--runtime', 'stub', '--use', 'abort=',
  // shared memory never detaches views on growth; 65536 pages = 4 GiB, the wasm32 limit
  '--importMemory', '--sharedMemory', '--initialMemory', '1', '--maximumMemory', '65536',
  '--enable', 'threads', '--enable', 'bulk-memory',
];
const variants = {
  relaxed: ['--enable', 'simd', '--enable', 'relaxed-simd'],
  simd: ['--enable', 'simd'],
  scalar: [],
};

// One process, one compiler after the other: loading the compiler (and warming up Binaryen)
// costs more than a second compile, so this is faster than three parallel asc processes.
const t0 = Date.now();
for (const [name, flags] of Object.entries(variants)) {
  const { error, stderr } = await asc.main([...common, ...flags, '-o', join(distDir, `kernels-${name}.wasm`)]);
  if (error) {
    console.error(stderr.toString());
    throw new Error(`AssemblyScript build of kernels-${name}.wasm failed: ${error.message}`);
  }
}
console.log(`built kernels-{relaxed,simd,scalar}.wasm in ${Date.now() - t0} ms`);
