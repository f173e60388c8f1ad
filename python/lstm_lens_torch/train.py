"""Train an LSTM Lens model with PyTorch, on one process or data-parallel under torchrun.

    lstm-lens corpus src --out corpus/                  # the text, split and vocabulary train uses
    python3 -m lstm_lens_torch.train --corpus corpus/ --out model.safetensors --minutes 10
    torchrun --nproc_per_node 8 -m lstm_lens_torch.train --corpus corpus/ --out model.safetensors \\
        --layers 3 --hidden 1024 --batch 256 --minutes 600 --device cuda

The run is the engine's (src/engine/trainer.ts, src/training/run-loop.ts): truncated BPTT over B
streams laid out over the text with state carried from chunk to chunk and zeroed at each epoch's
end; loss = mean nats over the chunk's targets; gradients clipped to global norm 5; Adam (or the
engine's other optimizers) with the engine's constants; a budget of minutes, steps or epochs;
validation, samples and atomic saves now and then; progress as `lstm-lens train --json` prints it.

Under torchrun each rank takes a contiguous share of the B streams (B is the global batch). Each
rank's loss is its streams' nats × world / (targets of all B streams), so DDP's averaging of the
gradients gives exactly the single-process gradient of batch B: the same run, to float rounding.
gloo on CPU, NCCL on GPUs, bf16 autocast on GPUs (--fp32 turns it off).

--resume continues --out, a model the extension, the CLI or this trainer wrote: its weights, its
config and vocabulary, and, when its optimizer sidecar (model.state.safetensors) is from the same
step, Adam's moments, the stream positions and the carried state, so the run goes on where it
stopped. Saves write that sidecar too, so the extension can resume a model trained here.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from . import __version__
from .checkpoint import (DEFAULT_TRAIN, TRAINER_FORMAT, Checkpoint, TrainingState, load_checkpoint,
                         load_training_state, save_checkpoint)
from .data import StreamLayout, Vocab, build_vocab, cap_streams, read_corpus, split_streams
from .eval import score_streams
from .model import CharRNN, detach_state, make_state, state_hc, sum_nats

LN2 = math.log(2)
# How often a run reports, evaluates, samples and saves (src/defaults.ts DEFAULTS.intervals).
PROGRESS_EVERY_S, EVAL_EVERY_S, SAMPLE_EVERY_S, SAVE_EVERY_S = 0.5, 15.0, 20.0, 60.0
MAX_VAL_CHARS = 40_000
EVAL_SHARE = 0.05      # validation takes at most this share of the run's time (run-loop.ts)
MAX_ROLLBACKS = 3      # diverged (NaN) steps tolerated, each halving the learning rate
DEFAULT_MINUTES = 15


# ---- command line ---------------------------------------------------------------------------

def parse_args(argv: Optional[List[str]]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python3 -m lstm_lens_torch.train", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", required=True, metavar="DIR", help="a folder `lstm-lens corpus` wrote")
    ap.add_argument("--out", required=True, metavar="FILE", help="the checkpoint to write (and resume with --resume)")
    ap.add_argument("--cell", choices=["lstm", "gru", "rnn"])
    ap.add_argument("--layers", type=int)
    ap.add_argument("--hidden", type=int)
    ap.add_argument("--dropout", type=float)
    ap.add_argument("--seq", type=int, help="characters per chunk (truncated BPTT), default 64")
    ap.add_argument("--batch", type=int, help="streams per step, over all processes, default 32")
    ap.add_argument("--optimizer", choices=["adam", "rmsprop", "adagrad", "momentum", "sgd"])
    ap.add_argument("--lr", type=float, help="learning rate, default 2e-3")
    ap.add_argument("--clip", type=float, help="global gradient norm to clip to (0: off), default 5")
    budget = ap.add_mutually_exclusive_group()
    budget.add_argument("--steps", type=int, help="total optimizer steps (counted from the checkpoint's)")
    budget.add_argument("--minutes", type=float, help=f"wall-clock minutes of this run (default {DEFAULT_MINUTES})")
    budget.add_argument("--epochs", type=int, help="total epochs")
    ap.add_argument("--seed", type=int, help="seeds the initial weights and samples, default 1")
    ap.add_argument("--resume", action="store_true", help="continue the model at --out")
    ap.add_argument("--device", choices=["cpu", "cuda"], help="default: cuda when there is one")
    ap.add_argument("--fp32", action="store_true", help="no bf16 autocast on GPUs")
    ap.add_argument("--threads", type=int, help="torch threads per process (torchrun sets 1 by default)")
    ap.add_argument("--progress-every", type=float, default=PROGRESS_EVERY_S, metavar="SECONDS",
                    help=f"seconds between progress lines (0: every step), default {PROGRESS_EVERY_S}")
    return ap.parse_args(argv)


# ---- processes ------------------------------------------------------------------------------

@dataclass
class Cluster:
    """This process's place among the ranks torchrun started (or the only one)."""
    rank: int
    world: int
    device: torch.device

    @property
    def distributed(self) -> bool:
        return self.world > 1

    @property
    def leader(self) -> bool:
        return self.rank == 0


def join_cluster(device_flag: Optional[str]) -> Cluster:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    kind = device_flag or ("cuda" if torch.cuda.is_available() else "cpu")
    if kind == "cuda":
        if not torch.cuda.is_available():
            raise SystemExit("lstm_lens_torch.train: --device cuda, but this PyTorch sees no GPU.")
        local = int(os.environ.get("LOCAL_RANK", "0"))
        torch.cuda.set_device(local)
        device = torch.device("cuda", local)
    else:
        device = torch.device("cpu")
    if world > 1:
        dist.init_process_group("nccl" if kind == "cuda" else "gloo")
    return Cluster(rank, world, device)


def share(batch: int, cluster: Cluster) -> range:
    """The streams this rank trains: a contiguous, near-equal share of the B streams."""
    return range(cluster.rank * batch // cluster.world, (cluster.rank + 1) * batch // cluster.world)


# ---- setting up -----------------------------------------------------------------------------

@dataclass
class Setup:
    config: Dict[str, Any]
    train_cfg: Dict[str, Any]
    vocab: Vocab
    params: Optional[Dict[str, torch.Tensor]]   # from the checkpoint, or None for a new model
    progress: Dict[str, Any]
    state: Optional[TrainingState]
    notices: List[str] = field(default_factory=list)


def prepare(args: argparse.Namespace, corpus_vocab: List[str]) -> Setup:
    """The model and training settings: a new model from the flags, or the stored one."""
    flags = {"seqLength": args.seq, "batchSize": args.batch, "optimizer": args.optimizer,
             "learningRate": args.lr, "clipNorm": args.clip, "seed": args.seed}
    given = {k: v for k, v in flags.items() if v is not None}
    if not args.resume:
        if os.path.exists(args.out):
            raise SystemExit(f"lstm_lens_torch.train: {args.out} already exists; pass --resume to continue training it, or choose another --out.")
        config = {"cell": args.cell or "lstm", "layers": args.layers or 2, "hidden": args.hidden or 256,
                  "vocabSize": len(corpus_vocab), "dropout": args.dropout or 0}
        check_new_model(config)
        progress = {"steps": 0, "charsSeen": 0, "elapsedMs": 0, "valBpcHistory": []}
        return Setup(config, {**DEFAULT_TRAIN, **given}, Vocab(corpus_vocab), None, progress, None)

    if not os.path.exists(args.out):
        raise SystemExit(f"lstm_lens_torch.train: --resume needs an existing checkpoint, and {args.out} does not exist.")
    ck = load_checkpoint(args.out)
    for flag, key in (("cell", "cell"), ("layers", "layers"), ("hidden", "hidden"), ("dropout", "dropout")):
        value = getattr(args, flag)
        if value is not None and value != ck.config[key]:
            raise SystemExit(f"lstm_lens_torch.train: --{flag} {value} differs from the checkpoint's {ck.config[key]}; a resumed run keeps the model's shape.")
    train_cfg = {**DEFAULT_TRAIN, **(ck.train or {}), **given}
    notices = []
    if ck.vocab != corpus_vocab:
        notices.append("The stored model keeps its own vocabulary; characters of the corpus outside it are read as UNK.")
    state = None
    try:
        state = load_training_state(args.out, ck.training["steps"])
    except ValueError as e:
        notices.append(f"The optimizer state beside the stored model could not be used ({e}); training continues with a fresh optimizer.")
    return Setup(ck.config, train_cfg, Vocab(ck.vocab), ck.params, ck.training, state, notices)


def check_new_model(config: Dict[str, Any]) -> None:
    """The limits the engine loads a model within (src/engine/config.ts validateModelConfig)."""
    if not 1 <= config["layers"] <= 4:
        raise SystemExit(f"lstm_lens_torch.train: --layers must be from 1 to 4, not {config['layers']}.")
    if not 1 <= config["hidden"] <= 4096:
        raise SystemExit(f"lstm_lens_torch.train: --hidden must be from 1 to 4096, not {config['hidden']}.")
    if not 0 <= config["dropout"] < 1:
        raise SystemExit(f"lstm_lens_torch.train: --dropout must be in [0, 1), not {config['dropout']}.")


def make_optimizer(params, cfg: Dict[str, Any]) -> torch.optim.Optimizer:
    """The engine's optimizers (src/engine/optim.ts), which follow PyTorch's semantics."""
    lr, wd, eps = cfg["learningRate"], cfg["weightDecay"], cfg["eps"]
    name = cfg["optimizer"]
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, betas=(cfg["beta1"], cfg["beta2"]), eps=eps, weight_decay=wd)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=cfg["rmsDecay"], eps=eps, weight_decay=wd)
    if name == "adagrad":
        return torch.optim.Adagrad(params, lr=lr, eps=eps, weight_decay=wd)
    if name == "momentum":
        return torch.optim.SGD(params, lr=lr, momentum=cfg["momentum"], weight_decay=wd)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, weight_decay=wd)
    raise SystemExit(f"lstm_lens_torch.train: unknown optimizer {name!r}.")


def splitmix_state(seed: int) -> List[int]:
    """The engine's Rng(seed) state words (src/engine/rng.ts), for the sidecar's reserved generator."""
    x, words = seed & 0xFFFFFFFF, []
    for _ in range(4):
        x = (x + 0x9E3779B9) & 0xFFFFFFFF
        z = x
        z = ((z ^ (z >> 16)) * 0x85EBCA6B) & 0xFFFFFFFF
        z = ((z ^ (z >> 13)) * 0xC2B2AE35) & 0xFFFFFFFF
        words.append((z ^ (z >> 16)) & 0xFFFFFFFF)
    return words if any(words) else [1, 0, 0, 0]


# ---- the trainer ----------------------------------------------------------------------------

@dataclass
class StepResult:
    loss_bits: float
    grad_norm: float
    stop: bool
    save: bool
    diverged: bool


class Trainer:
    """One rank's part of the run: its streams, the model (DDP-wrapped when distributed), the
    optimizer and the counters, which every rank keeps identically."""

    def __init__(self, setup: Setup, data: np.ndarray, cluster: Cluster, bf16: bool):
        cfg = setup.train_cfg
        self.cfg, self.cluster, self.data = cfg, cluster, data
        self.layout = StreamLayout(len(data), cfg["seqLength"], cfg["batchSize"])
        if self.layout.batch < cluster.world:
            raise SystemExit(f"lstm_lens_torch.train: {self.layout.batch} streams cannot be shared by {cluster.world} processes; use a larger --batch or fewer processes.")
        self.streams = share(self.layout.batch, cluster)
        torch.manual_seed(cfg["seed"])
        self.model = CharRNN.from_config(setup.config)
        if setup.params is not None:
            self.model.load_state_dict(setup.params)
        self.model.to(cluster.device)
        # DDP broadcasts rank 0's weights to the others as it wraps the model
        self.net = DistributedDataParallel(self.model, device_ids=[cluster.device.index] if cluster.device.type == "cuda" else None) \
            if cluster.distributed else self.model
        self.optimizer = make_optimizer(self.model.parameters(), cfg)
        self.bf16 = bf16
        self.steps = int(setup.progress["steps"])
        self.chars = int(setup.progress["charsSeen"])
        self.epoch = int(setup.progress.get("epochs", 0) or 0)
        self.lr = float(cfg["learningRate"])
        self.rng_state = splitmix_state(cfg["seed"])
        self.hidden = self.model.zero_state(len(self.streams), cluster.device)
        self.rollbacks = 0
        self.notices: List[str] = []
        if setup.state is not None:
            self._restore(setup.state)

    # One chunk for every stream: forward, backward (DDP sums the ranks' gradients), clip, step.
    def step(self, stop: bool, save: bool) -> StepResult:
        inputs, targets, count = self.layout.chunk(self.data, self.streams.start, self.streams.stop)
        x = torch.from_numpy(inputs).to(self.cluster.device)
        y = torch.from_numpy(targets).to(self.cluster.device)
        self.optimizer.zero_grad(set_to_none=False)
        with torch.autocast(device_type="cuda", dtype=torch.bfloat16) if self.bf16 else contextlib.nullcontext():
            logits, new_hidden = self.net(x, self.hidden)
        local_nats = sum_nats(logits, y)
        (local_nats * (self.cluster.world / count)).backward()
        # one small all-reduce: the chunk's nats, and whether any rank asks to stop or save
        stats = torch.tensor([local_nats.item(), float(stop), float(save)], dtype=torch.float64)
        if self.cluster.distributed:
            stats = stats.to(self.cluster.device)
            dist.all_reduce(stats)
            stats = stats.cpu()
        nats, stop, save = float(stats[0]), bool(stats[1] > 0), bool(stats[2] > 0)
        norm = self._clip()
        if not (math.isfinite(norm) and math.isfinite(nats)):
            return self._diverged(nats, norm, stop, save)
        for group in self.optimizer.param_groups:
            group["lr"] = self.lr
        self.optimizer.step()
        self.steps += 1
        self.chars += count
        if self.cfg["lrDecayEvery"] > 0 and self.steps % self.cfg["lrDecayEvery"] == 0:
            self.lr *= self.cfg["lrDecay"]
        if self.layout.advance():
            self.epoch += 1
            self.hidden = self.model.zero_state(len(self.streams), self.cluster.device)
        else:
            self.hidden = detach_state(new_hidden)
        return StepResult(nats / count / LN2, norm, stop, save, False)

    def _clip(self) -> float:
        params = list(self.model.parameters())
        max_norm = self.cfg["clipNorm"] if self.cfg["clipNorm"] > 0 else float("inf")
        norm = float(torch.nn.utils.clip_grad_norm_(params, max_norm))
        if self.cfg["clipValue"] > 0:
            torch.nn.utils.clip_grad_value_(params, self.cfg["clipValue"])
        return norm

    def _diverged(self, nats: float, norm: float, stop: bool, save: bool) -> StepResult:
        """A NaN step is not applied: the streams stay where they were, the learning rate halves."""
        self.rollbacks += 1
        if self.rollbacks > MAX_ROLLBACKS:
            raise SystemExit(f"lstm_lens_torch.train: training diverged (the loss became NaN) {MAX_ROLLBACKS} times even after lowering the learning rate.")
        self.lr *= 0.5
        self.notices.append(f"The loss became NaN at step {self.steps + 1}; the step was not applied and the learning rate halved.")
        return StepResult(float("nan"), norm, stop, save, True)

    # ---- the sidecar: optimizer state, stream positions, carried state -------------------

    def export_state(self) -> Optional[TrainingState]:
        """The whole run's state (collective: every rank must call it); None on other ranks."""
        h, c = (t.detach().cpu() for t in state_hc(self.hidden))
        if self.cluster.distributed:
            parts: List[Any] = [None] * self.cluster.world
            dist.all_gather_object(parts, (h, c))
            h = torch.cat([p[0] for p in parts], dim=1)
            c = torch.cat([p[1] for p in parts], dim=1)
        if not self.cluster.leader:
            return None
        tensors, scalars = self._optimizer_tensors()
        tensors["hidden.h"], tensors["hidden.c"] = h.reshape(-1), c.reshape(-1)
        meta = {
            "format": TRAINER_FORMAT, "optimizer": self.cfg["optimizer"], "optimizerScalars": scalars,
            "batchSize": self.layout.batch, "seqLength": self.layout.seq, "dataLength": self.layout.n,
            "trainer": {"step": self.steps, "epoch": self.epoch, "charsSeen": self.chars, "lr": self.lr,
                        "positions": [int(p) for p in self.layout.positions], "rng": self.rng_state, "dropoutRng": []},
        }
        return TrainingState(tensors, meta)

    def _optimizer_tensors(self):
        """torch's per-parameter state flattened in layout order as the engine names it
        (exp_avg, exp_avg_sq, square_avg, sum, momentum_buffer: PyTorch's own names)."""
        params = list(self.model.parameters())
        keys = {"adam": ["exp_avg", "exp_avg_sq"], "rmsprop": ["square_avg"], "adagrad": ["sum"],
                "momentum": ["momentum_buffer"], "sgd": []}[self.cfg["optimizer"]]
        tensors: Dict[str, torch.Tensor] = {}
        for key in keys:
            flat = [self.optimizer.state.get(p, {}).get(key) for p in params]
            flat = [torch.zeros(p.numel()) if t is None else t.detach().float().cpu().reshape(-1) for p, t in zip(params, flat)]
            tensors[f"optim.{key}"] = torch.cat(flat)
        scalars = {}
        if self.cfg["optimizer"] == "adam":
            st = self.optimizer.state.get(params[0], {})
            scalars["step"] = int(st["step"]) if "step" in st else 0
        return tensors, scalars

    def _restore(self, state: TrainingState) -> None:
        """Where the saved run was: counters, Adam's moments, and (same text and layout) the streams."""
        meta, tr = state.meta, state.meta.get("trainer", {})
        if meta.get("format") != TRAINER_FORMAT or meta.get("optimizer") != self.cfg["optimizer"]:
            self.notices.append("The optimizer state beside the stored model is for another optimizer; training continues with a fresh one.")
            return
        self._load_optimizer(state.tensors, meta.get("optimizerScalars", {}))
        self.steps, self.epoch, self.chars = int(tr["step"]), int(tr["epoch"]), int(tr["charsSeen"])
        self.lr = float(tr["lr"])
        if isinstance(tr.get("rng"), list) and len(tr["rng"]) == 4:
            self.rng_state = [int(w) for w in tr["rng"]]
        same = meta.get("batchSize") == self.layout.batch and meta.get("seqLength") == self.layout.seq \
            and meta.get("dataLength") == self.layout.n and self.layout.restore(tr.get("positions", []))
        if not same:
            self.notices.append("The text or the stream layout changed since the model was saved: the streams start over from the start, with zero state.")
            return
        m = self.model
        shape = (m.layers, self.layout.batch, m.hidden)
        mine = slice(self.streams.start, self.streams.stop)
        h = state.tensors["hidden.h"].reshape(shape)[:, mine].contiguous().to(self.cluster.device)
        c = state.tensors["hidden.c"].reshape(shape)[:, mine].contiguous().to(self.cluster.device)
        self.hidden = make_state(m.cell, h, c)

    def _load_optimizer(self, tensors: Dict[str, torch.Tensor], scalars: Dict[str, Any]) -> None:
        """The engine's flat optim.<key> arrays back into torch's per-parameter state."""
        params = list(self.model.parameters())
        offset = 0
        for p in params:
            entry: Dict[str, Any] = {}
            for name, flat in tensors.items():
                if name.startswith("optim."):
                    entry[name[len("optim."):]] = flat[offset:offset + p.numel()].reshape(p.shape).clone().to(p.device)
            if self.cfg["optimizer"] in ("adam", "rmsprop", "adagrad"):
                entry["step"] = torch.tensor(float(scalars.get("step", self.steps)))
            self.optimizer.state[p] = entry
            offset += p.numel()

    def params(self) -> Dict[str, torch.Tensor]:
        return {n: t.detach().cpu() for n, t in self.model.state_dict().items()}


# ---- the run --------------------------------------------------------------------------------

@torch.no_grad()
def sample_text(model: CharRNN, vocab: Vocab, length: int, temperature: float, seed: int, device) -> str:
    """From the zero state, each next character drawn from softmax(logits / T); UNK left out."""
    model.eval()
    try:
        return _sample(model, vocab, length, temperature, seed, device)
    finally:
        model.train()


def _sample(model: CharRNN, vocab: Vocab, length: int, temperature: float, seed: int, device) -> str:
    gen = torch.Generator().manual_seed(seed)
    state = model.zero_state(1, device)
    logits = model.decoder(torch.zeros(1, model.hidden, device=device))[0]
    out = []
    for _ in range(length):
        probs = torch.softmax(logits.float().cpu() / temperature, dim=-1)
        idx = int(torch.multinomial(probs, 1, generator=gen))
        out.append(idx)
        step_logits, state = model(torch.tensor([[idx]], device=device), state)
        logits = step_logits[0, 0]
    return "".join(vocab.chars[i] for i in out if i != vocab.unk_id)


class Budget:
    """--minutes (this run's wall clock), --steps (total), --epochs (total): the fraction done."""

    def __init__(self, args: argparse.Namespace, t0: float):
        none = args.minutes is None and args.steps is None and args.epochs is None
        self.minutes = DEFAULT_MINUTES if none else args.minutes
        self.steps, self.epochs, self.t0 = args.steps, args.epochs, t0

    def reached(self, trainer: Trainer) -> bool:
        """Steps or epochs spent. (Time is the leader's to judge: it tells the others with the
        step's stop flag, since ranks' clocks differ and all must take the same steps.)"""
        return (self.steps is not None and trainer.steps >= self.steps) or \
            (self.epochs is not None and trainer.epoch >= self.epochs)

    def fraction(self, trainer: Trainer, now: float) -> float:
        f = []
        if self.minutes is not None:
            f.append((now - self.t0) / (self.minutes * 60))
        if self.steps is not None:
            f.append(trainer.steps / self.steps)
        if self.epochs is not None:
            f.append(trainer.epoch / self.epochs)
        return min(1.0, max(f)) if f else 0.0


def emit(line: Dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def notice(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def round4(x: float) -> Optional[float]:
    return round(x, 4) if math.isfinite(x) else None


def run(args: argparse.Namespace) -> int:
    cluster = join_cluster(args.device)
    if args.threads:
        torch.set_num_threads(args.threads)
    leader = cluster.leader
    corpus = read_corpus(args.corpus)
    if corpus.vocab != build_vocab(corpus.train):
        raise SystemExit(f"lstm_lens_torch.train: {args.corpus}/vocab.json is not the vocabulary of its train.txt; write the corpus again with `lstm-lens corpus`.")
    setup = prepare(args, corpus.vocab)
    data = setup.vocab.encode(corpus.train)
    val = cap_streams([setup.vocab.encode(s) for s in split_streams(corpus.val)], MAX_VAL_CHARS)
    trainer = Trainer(setup, data, cluster, bf16=cluster.device.type == "cuda" and not args.fp32)
    if leader:
        for message in setup.notices + trainer.notices:
            notice(message)
        c = setup.config
        notice(f"Training a {c['layers']}×{c['hidden']} {c['cell'].upper()} on {len(data):,} characters "
               f"(vocabulary {len(setup.vocab)}) with torch {torch.__version__} on {cluster.world} "
               f"{'process' if cluster.world == 1 else 'processes'} ({cluster.device.type}), batch {trainer.layout.batch}.")
    trainer.notices.clear()

    stop_asked = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop_asked.append(True))

    t0 = time.monotonic()
    budget = Budget(args, t0)
    start_chars, start_ms = trainer.chars, float(setup.progress["elapsedMs"])
    history = [list(p) for p in setup.progress["valBpcHistory"]]
    val_bpc = history[-1][1] if history else None
    smoothed = float("nan")
    last_progress = last_eval = last_sample = last_save = t0
    eval_gap, samples = EVAL_EVERY_S, 0

    def evaluate() -> None:
        nonlocal val_bpc, last_eval, eval_gap
        if not val:
            return
        start = time.monotonic()
        trainer.model.eval()
        score = score_streams(trainer.model, val, setup.vocab, cluster.device)
        trainer.model.train()
        if score.chars:
            val_bpc = score.bpc
            history.append([trainer.chars, val_bpc])
        last_eval = time.monotonic()
        eval_gap = max(EVAL_EVERY_S, (last_eval - start) * (1 / EVAL_SHARE - 1))

    def save() -> None:
        state = trainer.export_state()   # collective
        if not leader:
            return
        training = {**setup.progress, "steps": trainer.steps, "charsSeen": trainer.chars,
                    "elapsedMs": start_ms + (time.monotonic() - t0) * 1000, "valBpcHistory": history,
                    "epochs": trainer.epoch,
                    "trainedWith": {"trainer": f"lstm_lens_torch {__version__}", "torch": torch.__version__,
                                    "processes": cluster.world, "device": cluster.device.type}}
        save_checkpoint(args.out, Checkpoint(setup.config, setup.vocab.chars, trainer.params(), training, trainer.cfg), state)

    def progress_line(text: Optional[str]) -> None:
        now = time.monotonic()
        elapsed, f = now - t0, budget.fraction(trainer, now)
        line = {"step": trainer.steps, "epoch": trainer.epoch, "chars": trainer.chars,
                "chars_per_s": round((trainer.chars - start_chars) / elapsed) if elapsed > 0 else 0,
                "train_bpc": round4(smoothed), "val_bpc": None if val_bpc is None else round4(val_bpc),
                "eta_s": round(max(0.0, elapsed * (1 - f) / f)) if f > 0 else None, "lr": trainer.lr}
        if text is not None:
            line["sample"] = text
        emit(line)

    if budget.steps is not None and trainer.steps >= budget.steps:
        if leader:
            notice(f"The model is already at step {trainer.steps}, the budget of --steps {budget.steps}; nothing to do.")
        return 0
    trainer.model.train()
    while True:
        now = time.monotonic()
        time_up = budget.minutes is not None and now - t0 >= budget.minutes * 60
        want_save = leader and now - last_save >= SAVE_EVERY_S
        r = trainer.step(stop=bool(stop_asked) or (leader and time_up), save=want_save)
        if leader:
            for message in trainer.notices:
                notice(message)
        trainer.notices.clear()
        if r.diverged:
            if r.stop:
                break
            continue
        smoothed = r.loss_bits if math.isnan(smoothed) else 0.95 * smoothed + 0.05 * r.loss_bits
        if r.stop or budget.reached(trainer):
            break
        if r.save:
            save()
            last_save = time.monotonic()
        if leader:
            now = time.monotonic()
            if now - last_eval >= eval_gap:
                evaluate()
            text = None
            if now - last_sample >= SAMPLE_EVERY_S:
                samples += 1
                text = sample_text(trainer.model, setup.vocab, 200, 0.8, samples, cluster.device)
                last_sample = time.monotonic()
            if text is not None or now - last_progress >= args.progress_every:
                progress_line(text)
                last_progress = now
    if leader:
        evaluate()
    save()
    if leader:
        samples += 1
        progress_line(sample_text(trainer.model, setup.vocab, 200, 0.8, samples, cluster.device))
        val_text = "" if val_bpc is None else f", validation {val_bpc:.3f} bits/char"
        notice(f"{'Stopped' if stop_asked else 'Done'} after {trainer.steps} steps{val_text}; saved {args.out}")
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    try:
        return run(args)
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


if __name__ == "__main__":
    sys.exit(main())
