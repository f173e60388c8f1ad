// The fast numeric backend: the Kernels of kernels.ts in WebAssembly (AssemblyScript sources in
// wasm/assembly/, compiled by wasm/build-wasm.mjs into dist/kernels-{relaxed,simd,scalar}.wasm).
//
// Variants, chosen at load time ('auto'):
//   relaxed  SIMD128 + relaxed-SIMD FMA (f32x4.relaxed_madd). Runtimes from V8 11.4 on (VS Code's
//            Electron); Node 20 has it behind --experimental-wasm-relaxed-simd, which is switched
//            on at run time unless enableRelaxedFlag is false.
//   simd     SIMD128 with separate multiply and add.
//   scalar   no SIMD at all: the portable fallback (several times slower).
// Support is probed with WebAssembly.validate on tiny hand-assembled modules.
//
// Memory: every array this backend hands out (alloc/allocInt) lives in ONE WebAssembly.Memory,
// imported by the module, declared shared. A shared memory never detaches its buffer when it
// grows, so views handed out earlier stay valid as the heap grows (a non-shared memory would
// detach them); it also lets a later threaded path share the same arrays between workers. The
// heap is a bump allocator: nothing is freed until the backend itself is dropped, so create one
// backend per model/session. A kernel argument is turned into a pointer through its byteOffset,
// after checking that it is a view of this backend's memory.
//
// The engine imports no Node module and reads no file: the host hands in the module bytes
// (`wasmBytes`) and, where it can, a way to set V8 flags (src/runtime/wasm-kernels.ts does both
// on Node, from the dist/ folder).
import type { CellType } from './config';
import type { InferenceMatrix, Kernels } from './kernels';

export type WasmVariant = 'relaxed' | 'simd' | 'scalar';

export interface WasmKernelsOptions {
  /** Which build to run; 'auto' (default) takes the fastest the runtime validates. */
  variant?: 'auto' | WasmVariant;
  /** The module bytes of a variant (the host reads kernels-<variant>.wasm). */
  wasmBytes: (variant: WasmVariant) => Uint8Array;
  /** Called once per process when no SIMD build can run and the scalar one is used instead. */
  onFallback?: (msg: string) => void;
  /** Largest heap in MiB (default 4096, the wasm32 limit). The address range is reserved up front. */
  maxMemoryMB?: number;
  /** On Node 20, relaxed SIMD is implemented but behind --experimental-wasm-relaxed-simd: with
   *  'auto' the flag is switched on at run time through this (Node's v8.setFlagsFromString; it
   *  only affects modules compiled afterwards). Absent: V8's flags are left alone. */
  setV8Flag?: (flag: string) => void;
}

export interface WasmKernels extends Kernels {
  readonly variant: WasmVariant;
  /** The shared memory every array of this backend lives in. */
  readonly memory: WebAssembly.Memory;
  /** Bytes handed out so far (the bump allocator's top). */
  bytesAllocated(): number;
}

// ---------------------------------------------------------------------------------------------
// Feature probes: the smallest modules that use a v128 constant / one relaxed FMA.

const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
// (func (result v128) v128.const 0)
const SIMD_PROBE = new Uint8Array([...HEADER,
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b,            // type: [] -> [v128]
  0x03, 0x02, 0x01, 0x00,                              // func 0: type 0
  0x0a, 0x16, 0x01, 0x14, 0x00, 0xfd, 0x0c, ...new Array(16).fill(0), 0x0b]);
// (func (param v128 v128 v128) (result v128) local.get 0 1 2 f32x4.relaxed_madd)
const RELAXED_PROBE = new Uint8Array([...HEADER,
  0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b,
  0x03, 0x02, 0x01, 0x00,
  0x0a, 0x0d, 0x01, 0x0b, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfd, 0x85, 0x02, 0x0b]);

/** The variants this runtime can run, fastest first. */
export function supportedWasmVariants(): WasmVariant[] {
  const out: WasmVariant[] = [];
  if (validates(RELAXED_PROBE)) out.push('relaxed');
  if (validates(SIMD_PROBE)) out.push('simd');
  out.push('scalar');
  return out;
}

/** Switches on V8's relaxed-SIMD flag where it exists but is off (Node 20); true if it now validates. */
export function enableRelaxedSimd(setV8Flag: (flag: string) => void): boolean {
  if (validates(RELAXED_PROBE)) return true;
  try {
    setV8Flag('--experimental-wasm-relaxed-simd');
  } catch {
    // the flags are frozen: stay with SIMD128
  }
  return validates(RELAXED_PROBE);
}

function validates(bytes: Uint8Array): boolean {
  try { return WebAssembly.validate(bytes as BufferSource); } catch { return false; }
}

// ---------------------------------------------------------------------------------------------
// Creating a backend

let fallbackReported = false;

function chooseVariant(opts: WasmKernelsOptions): WasmVariant {
  const want = opts.variant ?? 'auto';
  if ((want === 'auto' || want === 'relaxed') && opts.setV8Flag) enableRelaxedSimd(opts.setV8Flag);
  const supported = supportedWasmVariants();
  if (want !== 'auto') {
    if (!supported.includes(want)) {
      throw new Error(want === 'relaxed'
        ? 'This runtime does not support WebAssembly relaxed SIMD (Node 20 needs --experimental-wasm-relaxed-simd); use variant "simd" or "auto".'
        : 'This runtime does not support WebAssembly SIMD; use variant "scalar" or "auto".');
    }
    return want;
  }
  if (supported[0] === 'scalar' && !fallbackReported) {
    fallbackReported = true;
    opts.onFallback?.('WebAssembly SIMD is not available in this runtime; using the portable scalar kernels, which are several times slower.');
  }
  return supported[0];
}

/** The WebAssembly kernels, compiled synchronously (workers and the CLI want a sync setup). */
export function createWasmKernelsSync(opts: WasmKernelsOptions): WasmKernels {
  const variant = chooseVariant(opts);
  return instantiate(variant, new WebAssembly.Module(opts.wasmBytes(variant) as BufferSource), opts);
}

/** The WebAssembly kernels, compiled off the main thread where the runtime does so. */
export async function createWasmKernels(opts: WasmKernelsOptions): Promise<WasmKernels> {
  const variant = chooseVariant(opts);
  return instantiate(variant, await WebAssembly.compile(opts.wasmBytes(variant) as BufferSource), opts);
}

interface Exports {
  heapBase(): number;
  scratchBytes(): number;
  setScratch(p: number): void;
  simdLevel(): number;
  matmulWorkspaceBytes(M: number, K: number, N: number): number;
  matmul(out: number, x: number, w: number, bias: number, M: number, K: number, N: number, acc: number, ws: number): void;
  matmulBackward(dx: number, dw: number, dbias: number, dout: number, x: number, w: number, M: number, K: number, N: number, ws: number): void;
  gatherColumns(out: number, w: number, bias: number, idx: number, M: number, N: number, V: number): void;
  gatherColumnsBackward(dw: number, dbias: number, dout: number, idx: number, M: number, N: number, V: number): void;
  cellForward(cell: number, B: number, H: number, xg: number, hg: number, hPrev: number, cPrev: number,
    h: number, c: number, act: number): void;
  cellBackward(cell: number, B: number, H: number, dh: number, dc: number, act: number, hg: number, hPrev: number,
    cPrev: number, c: number, dxg: number, dhg: number, dhPrev: number, dcPrev: number): void;
  softmaxCrossEntropy(dlogits: number, logits: number, targets: number, M: number, V: number, gradScale: number): number;
  recurrentScratchBytes(T: number, B: number, H: number, G: number): number;
  quantBytes(N: number, K: number): number;
  quantize(dst: number, w: number, N: number, K: number): void;
  gemvQuantScratch(K: number): number;
  inferenceScratchBytes(H: number, G: number, K: number): number;
  inferenceSteps(cell: number, n: number, H: number, xs: number, ids: number, wih: number, K: number, bih: number,
    whh: number, bhh: number, h: number, c: number, act: number, ys: number, ws: number): void;
  gemvQuant(out: number, qm: number, x: number, bias: number, N: number, K: number, acc: number, ws: number): void;
  recurrentForward(cell: number, T: number, B: number, H: number, xg: number, whh: number, bhh: number,
    hs: number, cs: number, act: number, hg: number, rs: number): void;
  recurrentBackward(cell: number, T: number, B: number, H: number, dY: number, hs: number, cs: number, act: number,
    hg: number, whh: number, dxg: number, dhg: number, dwhh: number, dbhh: number, rs: number): void;
  adamStep(p: number, g: number, m: number, v: number, n: number,
    beta1: number, beta2: number, eps: number, weightDecay: number, stepSize: number, bc2Sqrt: number): void;
  sumSquares(x: number, n: number): number;
  scale(x: number, n: number, a: number): void;
}

const PAGE = 65536;
const ALIGN = 64;   // cache-line aligned arrays

function newSharedMemory(maxMB: number): WebAssembly.Memory {
  let maximum = Math.max(16, Math.min(65536, Math.floor(maxMB * 16)));
  for (;;) {
    try {
      return new WebAssembly.Memory({ initial: 16, maximum, shared: true });
    } catch (e) {
      // the reservation can fail under a tight address-space limit: ask for less
      if (maximum <= 1024) throw e;
      maximum >>= 1;
    }
  }
}

const CELL_CODE: Record<CellType, number> = { lstm: 0, gru: 1, rnn: 2 };

function instantiate(variant: WasmVariant, module: WebAssembly.Module, opts: WasmKernelsOptions): WasmKernels {
  const memory = newSharedMemory(opts.maxMemoryMB ?? 4096);
  const ex = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as Exports;

  // ---- the heap: a bump allocator over the shared memory
  let top = Math.ceil(ex.heapBase() / ALIGN) * ALIGN;
  function reserve(bytes: number): number {
    const p = top;
    top = Math.ceil((top + Math.max(bytes, 1)) / ALIGN) * ALIGN;
    const have = memory.buffer.byteLength;
    if (top > have) {
      try {
        memory.grow(Math.ceil((top - have) / PAGE));
      } catch {
        throw new Error(`The WebAssembly heap cannot grow to ${Math.ceil(top / 2 ** 20)} MiB (limit ${opts.maxMemoryMB ?? 4096} MiB); the model is too large for this backend.`);
      }
    }
    return p;
  }
  const scratch = reserve(ex.scratchBytes());
  ex.setScratch(scratch);

  // Which buffers are views of this memory. Identity alone cannot tell: V8 hands out new
  // SharedArrayBuffer objects for the same shared memory (not only when it grows), so a buffer
  // seen for the first time is recognised by a random canary written into the memory at setup,
  // then remembered.
  const canary = reserve(8);
  const nonce = [(Math.random() * 2 ** 31) | 0, (Math.random() * 2 ** 31) | 0];
  new Int32Array(memory.buffer, canary, 2).set(nonce);
  const buffers = new WeakSet<ArrayBufferLike>([memory.buffer]);
  function isOurs(buf: ArrayBufferLike): boolean {
    if (buffers.has(buf)) return true;
    if (!(buf instanceof SharedArrayBuffer) || buf.byteLength < canary + 8) return false;
    const v = new Int32Array(buf, canary, 2);
    if (v[0] !== nonce[0] || v[1] !== nonce[1]) return false;
    buffers.add(buf);
    return true;
  }

  /** The byte address of a view, after checking it lives in this backend's memory. */
  function ptr(a: Float32Array | Int32Array, need: number, what: string): number {
    if (!isOurs(a.buffer)) {
      throw new Error(`${what} is not an array of this WebAssembly backend; allocate it with kernels.alloc()/allocInt() (a plain typed array cannot be passed).`);
    }
    if (a.length < need) throw new Error(`${what} holds ${a.length} elements but the kernel needs ${need}.`);
    return a.byteOffset;
  }
  const opt = (a: Float32Array | null, need: number, what: string) => (a ? ptr(a, need, what) : 0);

  // One workspace for the ops that pack operands (matmul panels, the recurrences' packed W_hh
  // and per-step buffers), grown on demand: the bump allocator cannot free, so a larger request
  // replaces it and the old one is left unused (a process mostly runs one model shape).
  let wsPtr = 0, wsBytes = 0;
  function workspace(bytes: number): number {
    if (bytes > wsBytes) { wsPtr = reserve(bytes); wsBytes = bytes; }
    return wsPtr;
  }
  const dims = (...n: number[]) => {
    for (const v of n) if (!(Number.isInteger(v) && v >= 0)) throw new Error(`Kernel sizes must be non-negative integers, not ${v}.`);
  };

  // Inference matrices: where each one's quantized copy lives (a WeakMap also brands them as ours).
  const packed = new WeakMap<InferenceMatrix, number>();

  return {
    name: `wasm-${variant}`,
    variant,
    memory,
    bytesAllocated: () => top,

    alloc(n: number): Float32Array {
      dims(n);
      const p = reserve(n * 4);
      return new Float32Array(memory.buffer, p, n);
    },
    allocInt(n: number): Int32Array {
      dims(n);
      const p = reserve(n * 4);
      return new Int32Array(memory.buffer, p, n);
    },

    matmul(out, x, w, bias, M, K, N, accumulate) {
      dims(M, K, N);
      ex.matmul(ptr(out, M * N, 'out'), ptr(x, M * K, 'x'), ptr(w, N * K, 'w'), opt(bias, N, 'bias'), M, K, N, accumulate ? 1 : 0,
        workspace(ex.matmulWorkspaceBytes(M, K, N)));
    },

    matmulBackward(dx, dw, dbias, dout, x, w, M, K, N) {
      dims(M, K, N);
      ex.matmulBackward(opt(dx, M * K, 'dx'), ptr(dw, N * K, 'dw'), opt(dbias, N, 'dbias'), ptr(dout, M * N, 'dout'),
        ptr(x, M * K, 'x'), ptr(w, N * K, 'w'), M, K, N, workspace(ex.matmulWorkspaceBytes(M, K, N)));
    },

    gatherColumns(out, w, bias, idx, M, N, V) {
      dims(M, N, V);
      const pi = ptr(idx, M, 'idx');
      checkIndices(idx, M, V);
      ex.gatherColumns(ptr(out, M * N, 'out'), ptr(w, N * V, 'w'), opt(bias, N, 'bias'), pi, M, N, V);
    },

    gatherColumnsBackward(dw, dbias, dout, idx, M, N, V) {
      dims(M, N, V);
      const pi = ptr(idx, M, 'idx');
      checkIndices(idx, M, V);
      ex.gatherColumnsBackward(ptr(dw, N * V, 'dw'), opt(dbias, N, 'dbias'), ptr(dout, M * N, 'dout'), pi, M, N, V);
    },

    cellForward(cell, B, H, xg, hg, hPrev, cPrev, h, c, act) {
      dims(B, H);
      const G = gates(cell), n = B * H;
      ex.cellForward(CELL_CODE[cell], B, H, ptr(xg, G * n, 'xg'), ptr(hg, G * n, 'hg'), ptr(hPrev, n, 'hPrev'),
        ptr(cPrev, n, 'cPrev'), ptr(h, n, 'h'), ptr(c, n, 'c'), ptr(act, G * n, 'act'));
    },

    cellBackward(cell, B, H, dh, dc, act, hg, hPrev, cPrev, c, dxg, dhg, dhPrev, dcPrev) {
      dims(B, H);
      const G = gates(cell), n = B * H;
      ex.cellBackward(CELL_CODE[cell], B, H, ptr(dh, n, 'dh'), ptr(dc, n, 'dc'), ptr(act, G * n, 'act'),
        ptr(hg, G * n, 'hg'), ptr(hPrev, n, 'hPrev'), ptr(cPrev, n, 'cPrev'), ptr(c, n, 'c'),
        ptr(dxg, G * n, 'dxg'), ptr(dhg, G * n, 'dhg'), ptr(dhPrev, n, 'dhPrev'), ptr(dcPrev, n, 'dcPrev'));
    },

    recurrentForward(cell, T, B, H, xg, whh, bhh, hs, cs, act, hg) {
      dims(T, B, H);
      const G = gates(cell), n = B * H, ng = G * n;
      if (!hg && cell === 'gru') throw new Error('The GRU recurrence must keep every step\'s hg for its backward.');
      const args = [ptr(xg, T * ng, 'xg'), ptr(whh, G * H * H, 'whh'), opt(bhh, G * H, 'bhh'), ptr(hs, (T + 1) * n, 'hs'),
        ptr(cs, (T + 1) * n, 'cs'), ptr(act, T * ng, 'act'), opt(hg, T * ng, 'hg')] as const;
      ex.recurrentForward(CELL_CODE[cell], T, B, H, ...args, workspace(ex.recurrentScratchBytes(T, B, H, G)));
    },

    recurrentBackward(cell, T, B, H, dY, hs, cs, act, hg, whh, dxg, dhg, dwhh, dbhh) {
      dims(T, B, H);
      const G = gates(cell), n = B * H, ng = G * n;
      if (cell === 'gru' && (!hg || dhg === dxg)) throw new Error('The GRU backward needs hg and separate dxg and dhg arrays.');
      const args = [ptr(dY, T * n, 'dY'), ptr(hs, (T + 1) * n, 'hs'), ptr(cs, (T + 1) * n, 'cs'), ptr(act, T * ng, 'act'),
        opt(hg, T * ng, 'hg'), ptr(whh, G * H * H, 'whh'), ptr(dxg, T * ng, 'dxg'), ptr(dhg, T * ng, 'dhg'),
        ptr(dwhh, G * H * H, 'dwhh'), opt(dbhh, G * H, 'dbhh')] as const;
      ex.recurrentBackward(CELL_CODE[cell], T, B, H, ...args, workspace(ex.recurrentScratchBytes(T, B, H, G)));
    },

    packInference(w, N, K, into) {
      dims(N, K);
      const pw = ptr(w, N * K, 'w');
      let m = into, p = into ? packed.get(into) : undefined;
      if (into && (p === undefined || into.rows !== N || into.cols !== K)) {
        throw new Error(`Cannot re-pack a ${N} × ${K} matrix into ${p === undefined ? 'a matrix of another backend' : `a packed ${into.rows} × ${into.cols} one`}.`);
      }
      if (p === undefined) {
        p = reserve(ex.quantBytes(N, K));
        m = { rows: N, cols: K };
        packed.set(m, p);
      }
      ex.quantize(p, pw, N, K);
      return m!;
    },

    gemvPacked(out, w, x, bias, accumulate) {
      const p = packed.get(w);
      if (p === undefined) throw new Error('This matrix was not packed by this WebAssembly backend (use its packInference).');
      const N = w.rows, K = w.cols;
      ex.gemvQuant(ptr(out, N, 'out'), p, ptr(x, K, 'x'), opt(bias, N, 'bias'), N, K, accumulate ? 1 : 0,
        workspace(ex.gemvQuantScratch(K)));
    },

    inferenceSteps(cell, n, H, xs, ids, wih, bih, whh, bhh, h, c, act, ys) {
      dims(n, H);
      const G = gates(cell), GH = G * H;
      const pw = packed.get(whh), pi = wih ? packed.get(wih) : 0;
      if (pw === undefined || pi === undefined) throw new Error('The weights were not packed by this WebAssembly backend (use its packInference).');
      if (whh.rows !== GH || whh.cols !== H || (wih && wih.rows !== GH)) {
        throw new Error(`The packed weights do not fit a layer of ${H} units (${G} gates).`);
      }
      const K = wih ? wih.cols : 0;
      let px: number;
      if (ids) {
        const rows = Math.floor(xs.length / GH);
        px = ptr(xs, GH, 'xs');
        checkIndices(ids, n, rows);
      } else {
        px = ptr(xs, n * (wih ? K : GH), 'xs');
      }
      ex.inferenceSteps(CELL_CODE[cell], n, H, px, ids ? ptr(ids, n, 'ids') : 0, pi, K, opt(bih, GH, 'bih'), pw,
        opt(bhh, GH, 'bhh'), ptr(h, H, 'h'), ptr(c, H, 'c'), ptr(act, GH, 'act'), opt(ys, n * H, 'ys'),
        workspace(ex.inferenceScratchBytes(H, G, K)));
    },

    softmaxCrossEntropy(dlogits, logits, targets, M, V, gradScale) {
      dims(M, V);
      const pt = ptr(targets, M, 'targets');
      for (let m = 0; m < M; m++) {
        if (targets[m] >= V) throw new Error(`Target ${targets[m]} at row ${m} is outside the vocabulary of ${V}.`);
      }
      return ex.softmaxCrossEntropy(ptr(dlogits, M * V, 'dlogits'), ptr(logits, M * V, 'logits'), pt, M, V, gradScale);
    },

    adamStep(params, grads, m, v, h) {
      const n = params.length;
      ex.adamStep(ptr(params, n, 'params'), ptr(grads, n, 'grads'), ptr(m, n, 'm'), ptr(v, n, 'v'), n,
        h.beta1, h.beta2, h.eps, h.weightDecay, h.stepSize, h.bc2Sqrt);
    },

    sumSquares(x) {
      return ex.sumSquares(ptr(x, x.length, 'x'), x.length);
    },

    scale(x, a) {
      ex.scale(ptr(x, x.length, 'x'), x.length, a);
    },
  };
}

function gates(cell: CellType): number {
  const G = cell === 'lstm' ? 4 : cell === 'gru' ? 3 : cell === 'rnn' ? 1 : 0;
  if (!G) throw new Error(`Unknown cell type "${cell}"; use lstm, gru or rnn.`);
  return G;
}

/** A column index outside [0, V) would read or write outside w: refuse it in JS. */
function checkIndices(idx: Int32Array, M: number, V: number): void {
  for (let m = 0; m < M; m++) {
    const v = idx[m];
    if (!(v >= 0 && v < V)) throw new Error(`Character index ${v} at row ${m} is outside the vocabulary of ${V}.`);
  }
}
