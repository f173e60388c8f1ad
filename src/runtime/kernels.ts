// Picks the fastest numeric backend this runtime can run: the WebAssembly kernels when they are
// built and load, else the plain TypeScript reference (correct, about ten times slower).
import type { Kernels } from '../engine/kernels';
import { createRefKernels } from '../engine/kernels-ref';
import { loadWasmKernelsSync } from './wasm-kernels';

export type BackendChoice = 'auto' | 'wasm' | 'ref';

export interface PickedKernels { kernels: Kernels; description: string; fallbackReason?: string }

export function pickKernels(choice: BackendChoice = 'auto'): PickedKernels {
  if (choice === 'ref') return { kernels: createRefKernels(), description: 'reference (TypeScript)' };
  let notice: string | undefined;
  try {
    const k = loadWasmKernelsSync({ onFallback: (m: string) => { notice = m; } });
    return { kernels: k, description: `WebAssembly (${k.variant})`, fallbackReason: notice };
  } catch (e) {
    if (choice === 'wasm') throw e;
    return {
      kernels: createRefKernels(), description: 'reference (TypeScript)',
      fallbackReason: `The WebAssembly kernels could not be loaded (${(e as Error).message}); training runs on the slower reference kernels.`,
    };
  }
}
