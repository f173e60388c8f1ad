// The lecture's five optimizers on one flat parameter array and its gradient.
//
//   params, grads (P)  the model's flat arrays (see params.ts); grads are read, never written
//   state             named Float32Arrays of length P (plus scalar counters), so a checkpoint
//                     sidecar can save them and a resumed run continues bit-identically
//
// Each update is a plain loop in float64 arithmetic over float32 storage, as PyTorch's
// for-loop (non-foreach) implementations do per element. Weight decay is L2 added to the
// gradient before the update (PyTorch's `weight_decay`): g = grad + wd·p.
// Adam, the default and the one whose step shows in a training step's time, runs in the
// kernels (Kernels.adamStep) when given them: its moments then live in the kernels' memory, and
// the WebAssembly builds compute in float32 with SIMD. Without kernels it runs the reference
// kernels' loop, the float64 one above.
import type { OptimizerName, TrainConfig } from './config';
import type { Kernels } from './kernels';
import { createRefKernels } from './kernels-ref';

export type OptimizerState = Record<string, Float32Array | number>;

export interface Optimizer {
  readonly name: OptimizerName;
  /** One update of params in place from grads (left untouched) with learning rate lr. */
  step(params: Float32Array, grads: Float32Array, lr: number): void;
  /** Copies of the state: Float32Arrays of length P and scalar counters. */
  state(): OptimizerState;
  /** Restores a state() result (copied in); throws one clear sentence on a mismatch. */
  loadState(s: OptimizerState): void;
}

/** What Adam needs of a backend: memory for its moments, and the step itself. */
export type OptimizerKernels = Pick<Kernels, 'alloc' | 'adamStep'>;

/** The optimizer cfg names for `size` parameters. With kernels, the params and grads passed to
 *  step() must be that backend's arrays (Adam hands them to kernels.adamStep). */
export function createOptimizer(cfg: TrainConfig, size: number, kernels?: OptimizerKernels): Optimizer {
  switch (cfg.optimizer) {
    case 'sgd': return new Sgd(size, cfg.weightDecay);
    case 'momentum': return new Momentum(size, cfg.momentum, cfg.weightDecay);
    case 'adagrad': return new Adagrad(size, cfg.eps, cfg.weightDecay);
    case 'rmsprop': return new RmsProp(size, cfg.rmsDecay, cfg.eps, cfg.weightDecay);
    case 'adam': return new Adam(size, cfg.beta1, cfg.beta2, cfg.eps, cfg.weightDecay, kernels ?? createRefKernels());
    default: throw new Error(`Unknown optimizer "${cfg.optimizer as string}"; use sgd, momentum, adagrad, rmsprop or adam.`);
  }
}

// ---------------------------------------------------------------------------------------------

function checkSizes(name: string, size: number, params: Float32Array, grads: Float32Array): void {
  if (params.length !== size || grads.length !== size) {
    throw new Error(`The ${name} optimizer was built for ${size} parameters but got ${params.length} parameters and ${grads.length} gradients.`);
  }
}

/** Copies a saved Float32Array into dst after checking it is there and has dst's length. */
function loadArray(name: string, s: OptimizerState, key: string, dst: Float32Array): void {
  const src = s[key];
  if (!(src instanceof Float32Array)) throw new Error(`The saved ${name} optimizer state has no "${key}" array.`);
  if (src.length !== dst.length) {
    throw new Error(`The saved ${name} optimizer state "${key}" has ${src.length} values but the model has ${dst.length} parameters.`);
  }
  dst.set(src);
}

function loadCount(name: string, s: OptimizerState, key: string): number {
  const n = s[key];
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
    throw new Error(`The saved ${name} optimizer state has no valid "${key}" counter.`);
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// SGD:  p -= lr·g
class Sgd implements Optimizer {
  readonly name = 'sgd' as const;
  constructor(private readonly size: number, private readonly wd: number) {}

  step(params: Float32Array, grads: Float32Array, lr: number): void {
    checkSizes(this.name, this.size, params, grads);
    const wd = this.wd;
    for (let i = 0; i < params.length; i++) {
      const g = grads[i] + wd * params[i];
      params[i] = params[i] - lr * g;
    }
  }

  state(): OptimizerState { return {}; }
  loadState(_s: OptimizerState): void { /* stateless */ }
}

// ---------------------------------------------------------------------------------------------
// SGD with momentum, PyTorch's convention (no dampening):
//   v = μ·v + g;  p -= lr·v
// (The lecture writes v = μ·v − lr·g; p += v: the same path while lr is constant; PyTorch's
// form lets a decayed lr act on the whole velocity at once.)
class Momentum implements Optimizer {
  readonly name = 'momentum' as const;
  private v: Float32Array;
  constructor(private readonly size: number, private readonly mu: number, private readonly wd: number) {
    this.v = new Float32Array(size);
  }

  step(params: Float32Array, grads: Float32Array, lr: number): void {
    checkSizes(this.name, this.size, params, grads);
    const v = this.v, mu = this.mu, wd = this.wd;
    for (let i = 0; i < params.length; i++) {
      const g = grads[i] + wd * params[i];
      v[i] = mu * v[i] + g;
      params[i] = params[i] - lr * v[i];
    }
  }

  state(): OptimizerState { return { momentum_buffer: this.v.slice() }; }
  loadState(s: OptimizerState): void { loadArray(this.name, s, 'momentum_buffer', this.v); }
}

// ---------------------------------------------------------------------------------------------
// Adagrad, as min-char-rnn and PyTorch (eps outside the root, as PyTorch; min-char-rnn puts
// its 1e-8 inside: sqrt(mem + 1e-8)):
//   cache += g²;  p -= lr·g / (√cache + eps)
class Adagrad implements Optimizer {
  readonly name = 'adagrad' as const;
  private cache: Float32Array;
  constructor(private readonly size: number, private readonly eps: number, private readonly wd: number) {
    this.cache = new Float32Array(size);
  }

  step(params: Float32Array, grads: Float32Array, lr: number): void {
    checkSizes(this.name, this.size, params, grads);
    const cache = this.cache, eps = this.eps, wd = this.wd;
    for (let i = 0; i < params.length; i++) {
      const g = grads[i] + wd * params[i];
      cache[i] = cache[i] + g * g;
      params[i] = params[i] - lr * g / (Math.sqrt(cache[i]) + eps);
    }
  }

  state(): OptimizerState { return { sum: this.cache.slice() }; }
  loadState(s: OptimizerState): void { loadArray(this.name, s, 'sum', this.cache); }
}

// ---------------------------------------------------------------------------------------------
// RMSprop, PyTorch (not centered, no momentum), α = cfg.rmsDecay:
//   sq = α·sq + (1−α)·g²;  p -= lr·g / (√sq + eps)
class RmsProp implements Optimizer {
  readonly name = 'rmsprop' as const;
  private sq: Float32Array;
  constructor(private readonly size: number, private readonly alpha: number, private readonly eps: number,
    private readonly wd: number) {
    this.sq = new Float32Array(size);
  }

  step(params: Float32Array, grads: Float32Array, lr: number): void {
    checkSizes(this.name, this.size, params, grads);
    const sq = this.sq, a = this.alpha, eps = this.eps, wd = this.wd;
    for (let i = 0; i < params.length; i++) {
      const g = grads[i] + wd * params[i];
      sq[i] = a * sq[i] + (1 - a) * g * g;
      params[i] = params[i] - lr * g / (Math.sqrt(sq[i]) + eps);
    }
  }

  state(): OptimizerState { return { square_avg: this.sq.slice() }; }
  loadState(s: OptimizerState): void { loadArray(this.name, s, 'square_avg', this.sq); }
}

// ---------------------------------------------------------------------------------------------
// Adam with bias correction, PyTorch's semantics (t counts steps from 1):
//   m = β1·m + (1−β1)·g;  v = β2·v + (1−β2)·g²
//   p -= (lr / (1−β1^t)) · m / (√v / √(1−β2^t) + eps)
// so step 1 moves every parameter by lr·g/(|g| + eps) ≈ lr·sign(g). The loop is
// kernels.adamStep; m and v are the kernels' arrays, state()/loadState() copy out and in.
class Adam implements Optimizer {
  readonly name = 'adam' as const;
  private m: Float32Array;
  private v: Float32Array;
  private t = 0;
  constructor(private readonly size: number, private readonly beta1: number, private readonly beta2: number,
    private readonly eps: number, private readonly wd: number, private readonly kernels: OptimizerKernels) {
    this.m = kernels.alloc(size);
    this.v = kernels.alloc(size);
  }

  step(params: Float32Array, grads: Float32Array, lr: number): void {
    checkSizes(this.name, this.size, params, grads);
    this.t++;
    const b1 = this.beta1, b2 = this.beta2;
    const stepSize = lr / (1 - Math.pow(b1, this.t));
    const bc2Sqrt = Math.sqrt(1 - Math.pow(b2, this.t));
    this.kernels.adamStep(params, grads, this.m, this.v,
      { beta1: b1, beta2: b2, eps: this.eps, weightDecay: this.wd, stepSize, bc2Sqrt });
  }

  state(): OptimizerState { return { exp_avg: this.m.slice(), exp_avg_sq: this.v.slice(), step: this.t }; }
  loadState(s: OptimizerState): void {
    loadArray(this.name, s, 'exp_avg', this.m);
    loadArray(this.name, s, 'exp_avg_sq', this.v);
    this.t = loadCount(this.name, s, 'step');
  }
}
