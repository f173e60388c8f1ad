// Helpers of the finite-difference gradient checks (gradcheck.test.ts, dynamic-lstm.test.ts).
import { createRefKernels } from '../../src/engine/kernels-ref';
import type { Kernels } from '../../src/engine/kernels';

/** The reference kernels computing in float64: the model only ever calls kernels.alloc, and the
 *  reference loops do not care about the element type, so central differences are accurate to
 *  ~1e-8 and a tolerance of 1e-5 catches any real bug. */
export function refKernels64(): Kernels {
  return { ...createRefKernels(), name: 'ref64', alloc: (n: number) => new Float64Array(n) as unknown as Float32Array };
}

/** (f(x + eps) − f(x − eps)) / 2eps with x = params[i], restored afterwards. */
export function centralDifference(params: Float32Array, i: number, eps: number, f: () => number): number {
  const orig = params[i];
  params[i] = orig + eps; const up = f();
  params[i] = orig - eps; const down = f();
  params[i] = orig;
  return (up - down) / (2 * eps);
}

/** |a − n| / max(|a| + |n|, floor): relative error with a floor for entries near zero. */
export function relativeError(analytic: number, numeric: number, floor: number): number {
  return Math.abs(numeric - analytic) / Math.max(Math.abs(numeric) + Math.abs(analytic), floor);
}
