// Gradient clipping over the flat gradient array (all parameters at once). The norm's sum of
// squares and the scaling run in the kernels when given them (grads must then be that backend's
// array); without, in the reference kernels' float64 loops.
import type { Kernels } from './kernels';
import { createRefKernels } from './kernels-ref';

/** What clipping by norm needs of a backend. */
export type ClipKernels = Pick<Kernels, 'sumSquares' | 'scale'>;

const REF: ClipKernels = createRefKernels();

/** The global L2 norm √(Σ g²), summed in float64. */
export function gradNorm(grads: Float32Array, kernels: ClipKernels = REF): number {
  return Math.sqrt(kernels.sumSquares(grads));
}

/** Scales grads in place so their global L2 norm is at most maxNorm, as
 *  torch.nn.utils.clip_grad_norm_: coef = maxNorm / (norm + 1e-6), applied only when coef < 1.
 *  Returns the norm before clipping. A non-finite norm is returned with grads left as they are
 *  (the caller reports it rather than stepping on it). */
export function clipGradNorm(grads: Float32Array, maxNorm: number, kernels: ClipKernels = REF): number {
  const norm = gradNorm(grads, kernels);
  if (!Number.isFinite(norm)) return norm;
  const coef = maxNorm / (norm + 1e-6);
  if (coef < 1) kernels.scale(grads, coef);
  return norm;
}

/** Clamps each gradient element to [-v, v] in place, as min-char-rnn's np.clip(d, -5, 5).
 *  NaN elements stay NaN. */
export function clipGradValue(grads: Float32Array, v: number): void {
  for (let i = 0; i < grads.length; i++) {
    const g = grads[i];
    if (g > v) grads[i] = v;
    else if (g < -v) grads[i] = -v;
  }
}
