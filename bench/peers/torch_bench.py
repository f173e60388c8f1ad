"""PyTorch peer benchmark: the char-LSTM configs of DESIGN.md, trained the way LSTM Lens trains.

usage: /usr/bin/python3 bench/peers/torch_bench.py [--configs A,B,C] [--threads 1,2] [--seconds 5]

Per config and thread count, one JSON line on stdout:
  {"system", "config", "threads", "train_chars_per_s", "sample_ms_per_char", "prime_ms_2000", ...}
  train_chars_per_s   T·B characters per step of forward, backward, clip_grad_norm_(5), Adam,
                      on one-hot input (V = 96), truncated BPTT with the state carried
  train_chars_per_cpu_s  the same per second of process CPU time (all threads): on a busy
                      machine, a 1-thread run's CPU rate approximates its speed on a quiet one
  sample_ms_per_char  a 2×256 LSTM (whatever the config, as DESIGN.md and `lstm-lens bench`),
                      batch 1, one character at a time: step, decoder, softmax, multinomial
  prime_ms_2000       the same 2×256 LSTM, 2,000 characters fed as one sequence (no grad), median of 5
Diagnostics (BLAS in use, the 1024³ matmul check) go to stderr.
"""
import argparse
import ctypes
import json
import statistics
import subprocess
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

V = 96
CONFIGS = {  # name: (layers, hidden, seq, batch)
    "A": (1, 128, 64, 32),
    "B": (2, 256, 64, 32),
    "C": (2, 512, 100, 64),
}
INFERENCE_MODEL = (2, 256)  # (layers, hidden) of the sampling and priming measurements
SLOW_BLAS_GFLOPS = 15  # the reference BLAS reaches ~3; OpenBLAS tens to hundreds


class CharLSTM(nn.Module):
    def __init__(self, layers, hidden):
        super().__init__()
        self.rnn = nn.LSTM(V, hidden, layers)  # time-major x (T,B,V)
        self.decoder = nn.Linear(hidden, V)

    def forward(self, ids, state):
        out, state = self.rnn(F.one_hot(ids, V).float(), state)
        return self.decoder(out), state


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def openblas_core():
    try:
        lib = ctypes.CDLL("libblas.so.3")
        lib.openblas_get_corename.restype = ctypes.c_char_p
        return lib.openblas_get_corename().decode()
    except (OSError, AttributeError):
        return None


def blas_description():
    """Which BLAS torch's process has loaded, and (for OpenBLAS) the core kernels it picked."""
    libs = sorted({line.split()[-1] for line in open("/proc/self/maps")
                   if "blas" in line.lower() and line.split()[-1].startswith("/")})
    desc = ", ".join(libs) or "unknown"
    try:
        lib = ctypes.CDLL("libblas.so.3")
        for fn in ("openblas_get_config", "openblas_get_corename"):
            getattr(lib, fn).restype = ctypes.c_char_p
        desc += f" [{lib.openblas_get_config().decode()}; core {lib.openblas_get_corename().decode()}]"
    except (OSError, AttributeError):
        pass
    try:
        alt = subprocess.run(["update-alternatives", "--display", "libblas.so.3-x86_64-linux-gnu"],
                             capture_output=True, text=True, timeout=10).stdout
        current = [ln for ln in alt.splitlines() if "currently points to" in ln]
        if current:
            desc += f"; alternatives: {current[0].strip()}"
    except (OSError, subprocess.SubprocessError):
        pass
    return desc


def load_average():
    try:
        return float(open("/proc/loadavg").read().split()[0])
    except OSError:
        return None


def matmul_gflops(n=1024, reps=10):
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    t0 = time.perf_counter()
    for _ in range(reps):
        a @ b
    return 2 * n ** 3 * reps / (time.perf_counter() - t0) / 1e9


def detach(state):
    return tuple(s.detach() for s in state)


def bench_train(model, seq, batch, seconds):
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    layers, hidden = model.rnn.num_layers, model.rnn.hidden_size
    corpus = torch.randint(0, V, (batch, 1 << 16))  # batch streams of random characters
    state = (torch.zeros(layers, batch, hidden), torch.zeros(layers, batch, hidden))
    pos = 0

    def step():
        nonlocal state, pos
        if pos + seq + 1 > corpus.shape[1]:
            pos = 0
        chunk = corpus[:, pos:pos + seq + 1].t()  # (T+1, B)
        logits, state = model(chunk[:-1], detach(state))
        loss = F.cross_entropy(logits.reshape(-1, V), chunk[1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        pos += seq

    for _ in range(3):  # warm-up: allocator, OpenMP pool, Adam state
        step()
    steps, t0, cpu0 = 0, time.perf_counter(), time.process_time()
    while steps < 3 or time.perf_counter() - t0 < seconds:
        step()
        steps += 1
    chars = steps * seq * batch
    return chars / (time.perf_counter() - t0), chars / (time.process_time() - cpu0)


@torch.no_grad()
def bench_sample(model, seconds):
    layers, hidden = model.rnn.num_layers, model.rnn.hidden_size
    state = (torch.zeros(layers, 1, hidden), torch.zeros(layers, 1, hidden))
    ch = torch.zeros(1, 1, dtype=torch.int64)

    def one():
        nonlocal state, ch
        logits, state = model(ch, state)
        ch = torch.multinomial(F.softmax(logits[-1], dim=-1), 1)  # (1,1)
        return ch.item()  # a real sampler needs the character on the host

    for _ in range(50):
        one()
    n, t0 = 0, time.perf_counter()
    while n < 200 or time.perf_counter() - t0 < seconds:
        one()
        n += 1
    return (time.perf_counter() - t0) * 1000 / n


@torch.no_grad()
def bench_prime(model, chars=2000, reps=5):
    layers, hidden = model.rnn.num_layers, model.rnn.hidden_size
    ids = torch.randint(0, V, (chars, 1))
    times = []
    for _ in range(reps + 1):
        state = (torch.zeros(layers, 1, hidden), torch.zeros(layers, 1, hidden))
        t0 = time.perf_counter()
        model(ids, state)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times[1:])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--configs", "--config", default="A,B,C")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--seconds", type=float, default=5.0, help="training time per measurement")
    ap.add_argument("--json", action="store_true", help="accepted for symmetry; output is always JSON lines")
    args = ap.parse_args()
    configs = [c.strip().upper() for c in args.configs.split(",") if c.strip()]
    threads = [int(t) for t in args.threads.split(",") if t.strip()]
    for c in configs:
        if c not in CONFIGS:
            raise SystemExit(f"Unknown config {c}; use A, B or C.")

    torch.set_num_threads(1)
    gflops = matmul_gflops()
    log(f"torch {torch.__version__}; BLAS: {blas_description()}")
    log(f"1024³ float32 matmul, 1 thread: {gflops:.1f} GFLOP/s (load average {load_average()})")
    if gflops < SLOW_BLAS_GFLOPS:
        log("!" * 78)
        log(f"WARNING: {gflops:.1f} GFLOP/s is below {SLOW_BLAS_GFLOPS}; the PyTorch numbers below are not a fair peer.")
        log("  Causes, most likely first:")
        log("  - the reference (netlib) BLAS is in use (see the BLAS line above); switch with")
        log("      update-alternatives --config libblas.so.3-x86_64-linux-gnu   (pick openblas)")
        log("  - OpenBLAS picked generic kernels (core Prescott/Core2/...) on a CPU with AVX2:")
        log("      OPENBLAS_CORETYPE=Haswell (or SkylakeX with AVX-512) selects the right ones")
        log(f"  - other processes hold the cores (load average {load_average()})")
        log("!" * 78)

    system = f"pytorch-{torch.__version__.split('+')[0]}"
    for name in configs:
        layers, hidden, seq, batch = CONFIGS[name]
        for n in threads:
            torch.set_num_threads(n)
            torch.manual_seed(1)
            model = CharLSTM(layers, hidden)
            train, train_cpu = bench_train(model, seq, batch, args.seconds)
            infer = CharLSTM(*INFERENCE_MODEL)
            sample = bench_sample(infer, min(2.0, args.seconds))
            prime = bench_prime(infer)
            print(json.dumps({
                "system": system, "config": name, "threads": n,
                "train_chars_per_s": round(train, 1), "sample_ms_per_char": round(sample, 4),
                "prime_ms_2000": round(prime, 2), "train_chars_per_cpu_s": round(train_cpu, 1),
                "gflops_1024_1thread": round(gflops, 1), "blas_core": openblas_core(),
                "load_average": load_average(),
            }), flush=True)


if __name__ == "__main__":
    main()
