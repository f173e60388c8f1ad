// The WebAssembly kernels on Node: the engine's createWasmKernels with the module bytes read from
// dist/kernels-<variant>.wasm and V8's relaxed-SIMD flag switched on where Node 20 keeps it off.
// (The engine itself reads no file and sets no flag: src/engine/kernels-wasm.ts.)
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import {
  createWasmKernels, createWasmKernelsSync, enableRelaxedSimd as enableRelaxedSimdWith, WasmKernels, WasmKernelsOptions, WasmVariant,
} from '../engine/kernels-wasm';

export { supportedWasmVariants } from '../engine/kernels-wasm';
export type { WasmKernels, WasmVariant } from '../engine/kernels-wasm';

export interface LoadOptions extends Partial<WasmKernelsOptions> {
  /** Folder holding kernels-*.wasm; default: next to this bundle, else <repo>/dist. */
  wasmDir?: string;
}

const hasKernels = (dir: string) => fs.existsSync(path.join(dir, 'kernels-scalar.wasm'));

/** The folder holding kernels-<variant>.wasm: wasmDir, else next to this file (dist/ in the
 *  bundles), else a dist/ folder found walking up from here (tests run from src/ through tsx). */
export function findWasmDir(wasmDir?: string): string {
  if (wasmDir) {
    if (!hasKernels(wasmDir)) throw new Error(`No kernels-*.wasm in ${wasmDir}; run \`npm run build\` to compile the WebAssembly kernels.`);
    return wasmDir;
  }
  if (hasKernels(__dirname)) return __dirname;
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (hasKernels(path.join(dir, 'dist'))) return path.join(dir, 'dist');
    if (path.dirname(dir) === dir) break;
  }
  throw new Error('The WebAssembly kernels (dist/kernels-*.wasm) are missing; run `npm run build` first.');
}

/** Node 20: switch on V8's relaxed-SIMD flag (only modules compiled afterwards see it). */
export function enableRelaxedSimd(): boolean {
  return enableRelaxedSimdWith((flag) => v8.setFlagsFromString(flag));
}

function withNodeHost(o: LoadOptions): WasmKernelsOptions {
  const { wasmDir, ...rest } = o;
  return {
    wasmBytes: (variant: WasmVariant) => fs.readFileSync(path.join(findWasmDir(wasmDir), `kernels-${variant}.wasm`)),
    setV8Flag: (flag: string) => v8.setFlagsFromString(flag),
    ...rest,
  };
}

/** The WebAssembly kernels, compiled synchronously (workers and the CLI want a sync setup). */
export function loadWasmKernelsSync(o: LoadOptions = {}): WasmKernels {
  return createWasmKernelsSync(withNodeHost(o));
}

/** The WebAssembly kernels, compiled off the main thread where the runtime does so. */
export function loadWasmKernels(o: LoadOptions = {}): Promise<WasmKernels> {
  return createWasmKernels(withNodeHost(o));
}
