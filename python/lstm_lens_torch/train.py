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
import json
import math
import os
import signal
import sys
import time
from typing import Any, Dict, List, Optional

import numpy as np
import torch
import torch.distributed as dist

from . import __version__
from .checkpoint import DEFAULT_TRAIN, Checkpoint, load_checkpoint, load_training_state, save_checkpoint
from .cluster import Cluster, join_cluster
from .data import Vocab, build_vocab, cap_streams, read_corpus, split_streams
from .eval import score_streams
from .model import CharRNN
from .trainer import Setup, Trainer

# How often a run reports, evaluates, samples and saves (src/defaults.ts DEFAULTS.intervals).
PROGRESS_EVERY_S, EVAL_EVERY_S, SAMPLE_EVERY_S, SAVE_EVERY_S = 0.5, 15.0, 20.0, 60.0
MAX_VAL_CHARS = 40_000
EVAL_SHARE = 0.05      # validation takes at most this share of the run's time (run-loop.ts)
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
    ap.add_argument("--lr", type=float, help="peak learning rate of the schedule (warm-up, cosine to a tenth of it at the budget's end), default 1e-2")
    ap.add_argument("--clip", type=float, help="global gradient norm to clip to (0: off), default 5")
    budget = ap.add_mutually_exclusive_group()
    budget.add_argument("--steps", type=int, help="total optimizer steps (counted from the checkpoint's)")
    budget.add_argument("--minutes", type=float, help=f"wall-clock minutes of this run (default {DEFAULT_MINUTES})")
    budget.add_argument("--epochs", type=int, help="total epochs")
    ap.add_argument("--seed", type=int, help="seeds the initial weights and samples, default 1")
    ap.add_argument("--resume", action="store_true", help="continue the model at --out")
    ap.add_argument("--device", choices=["cpu", "cuda"], help="default: cuda when there is one")
    ap.add_argument("--fp32", action="store_true", help="no bf16 autocast on GPUs (GPUs without bf16 never use it)")
    ap.add_argument("--threads", type=int, help="torch threads per process (torchrun sets 1 by default)")
    ap.add_argument("--progress-every", type=float, default=PROGRESS_EVERY_S, metavar="SECONDS",
                    help=f"seconds between progress lines (0: every step), default {PROGRESS_EVERY_S}")
    return ap.parse_args(argv)


# ---- setting up -----------------------------------------------------------------------------

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
        return Setup(config, {**DEFAULT_TRAIN, **given}, Vocab(corpus_vocab), None, progress, None, [], given)

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
    return Setup(ck.config, train_cfg, Vocab(ck.vocab), ck.params, ck.training, state, notices, given)


def check_new_model(config: Dict[str, Any]) -> None:
    """The limits the engine loads a model within (src/engine/config.ts validateModelConfig)."""
    if not 1 <= config["layers"] <= 4:
        raise SystemExit(f"lstm_lens_torch.train: --layers must be from 1 to 4, not {config['layers']}.")
    if not 1 <= config["hidden"] <= 4096:
        raise SystemExit(f"lstm_lens_torch.train: --hidden must be from 1 to 4096, not {config['hidden']}.")
    if not 0 <= config["dropout"] < 1:
        raise SystemExit(f"lstm_lens_torch.train: --dropout must be in [0, 1), not {config['dropout']}.")


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


class RunLoop:
    """The run around the trainer, as src/training/run-loop.ts tells it: step until the budget is
    spent or a stop is asked for; now and then (on rank 0) validate, sample, report; save every
    minute and at the end. Only the trainer's step and the save are collective."""

    def __init__(self, args: argparse.Namespace, setup: Setup, trainer: Trainer, cluster: Cluster, val: List[np.ndarray]):
        self.args, self.setup, self.trainer, self.cluster, self.val = args, setup, trainer, cluster, val
        self.leader = cluster.leader
        self.t0 = time.monotonic()
        self.budget = Budget(args, self.t0)
        self.start_chars, self.start_ms = trainer.chars, float(setup.progress["elapsedMs"])
        self.history = [list(p) for p in setup.progress["valBpcHistory"]]
        self.val_bpc: Optional[float] = self.history[-1][1] if self.history else None
        self.smoothed = float("nan")
        self.last_progress = self.last_eval = self.last_sample = self.last_save = self.t0
        self.eval_gap, self.samples = EVAL_EVERY_S, 0
        self.last_step_s = 0.0
        # Where this run's schedule began: here, unless it resumes a run of the very same step or
        # epoch budget (run-loop.ts: stopped and resumed, the schedule goes on).
        carried = setup.progress.get("schedule")
        same_budget = isinstance(carried, dict) and self.budget.minutes is None and \
            (self.budget.steps is not None or self.budget.epochs is not None) and \
            carried.get("steps") == self.budget.steps and carried.get("epochs") == self.budget.epochs
        trainer.schedule_start = int(carried["startStep"]) if same_budget else trainer.steps
        self.stop_asked: List[bool] = []
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: self.stop_asked.append(True))

    def run(self) -> None:
        if self.budget.steps is not None and self.trainer.steps >= self.budget.steps:
            self.say([f"The model is already at step {self.trainer.steps}, the budget of --steps {self.budget.steps}; nothing to do."])
            return
        self.trainer.model.train()
        while True:
            now = time.monotonic()
            time_up = self.budget.minutes is not None and now - self.t0 >= self.budget.minutes * 60
            step_start = time.monotonic()
            r = self.trainer.step(stop=bool(self.stop_asked) or (self.leader and time_up),
                                  save=self.leader and now - self.last_save >= SAVE_EVERY_S,
                                  fraction=self.schedule_fraction(now) if self.leader else 0.0)
            self.last_step_s = time.monotonic() - step_start
            self.say(self.trainer.notices)
            self.trainer.notices.clear()
            if r.diverged:
                if r.stop:
                    break
                continue
            self.smoothed = r.loss_bits if math.isnan(self.smoothed) else 0.95 * self.smoothed + 0.05 * r.loss_bits
            if r.stop or self.budget.reached(self.trainer):
                break
            if r.save:
                self.save()
            if self.leader:
                self.now_and_then()
        self.finish()

    def schedule_fraction(self, now: float) -> float:
        """The share of the schedule's budget spent when the next step ends (run-loop.ts's
        scheduleFraction: time looks one step ahead; steps count from the schedule's start; an
        epoch budget counts the streams' steps per pass)."""
        t, b = self.trainer, self.budget
        start, nxt, f = t.schedule_start, t.steps - t.schedule_start + 1, []
        if b.minutes is not None:
            f.append((now - self.t0 + self.last_step_s) / (b.minutes * 60))
        if b.steps is not None:
            f.append(nxt / max(1, b.steps - start))
        if b.epochs is not None:
            f.append(nxt / max(1, b.epochs * t.layout.steps_per_epoch - start))
        return min(1.0, max(f)) if f else 0.0

    def now_and_then(self) -> None:
        """Validation, a sample and a progress line, each when its time has come (rank 0)."""
        now = time.monotonic()
        if now - self.last_eval >= self.eval_gap:
            self.evaluate()
        text = None
        if now - self.last_sample >= SAMPLE_EVERY_S:
            text = self.sample()
        if text is not None or now - self.last_progress >= self.args.progress_every:
            self.report(text)
            self.last_progress = now

    def finish(self) -> None:
        if self.leader:
            self.evaluate()
        self.save()
        if self.leader:
            self.report(self.sample())
            val = "" if self.val_bpc is None else f", validation {self.val_bpc:.3f} bits/char"
            self.say([f"{'Stopped' if self.stop_asked else 'Done'} after {self.trainer.steps} steps{val}; saved {self.args.out}"])

    def evaluate(self) -> None:
        if not self.val:
            return
        start = time.monotonic()
        model = self.trainer.model
        model.eval()
        score = score_streams(model, self.val, self.setup.vocab, self.cluster.device)
        model.train()
        if score.chars:
            self.val_bpc = score.bpc
            self.history.append([self.trainer.chars, self.val_bpc])
        self.last_eval = time.monotonic()
        # validation may take at most EVAL_SHARE of the run: a slow one waits longer for the next
        self.eval_gap = max(EVAL_EVERY_S, (self.last_eval - start) * (1 / EVAL_SHARE - 1))

    def sample(self) -> str:
        self.samples += 1
        text = sample_text(self.trainer.model, self.setup.vocab, 200, 0.8, self.samples, self.cluster.device)
        self.last_sample = time.monotonic()
        return text

    def save(self) -> None:
        """Collective: every rank calls it (the carried state is gathered); rank 0 writes."""
        state = self.trainer.export_state()
        self.last_save = time.monotonic()
        if not self.leader:
            return
        t = self.trainer
        training = {**self.setup.progress, "steps": t.steps, "charsSeen": t.chars,
                    "elapsedMs": self.start_ms + (time.monotonic() - self.t0) * 1000,
                    "valBpcHistory": self.history, "epochs": t.epoch,
                    "trainedWith": {"trainer": f"lstm_lens_torch {__version__}", "torch": torch.__version__,
                                    "processes": self.cluster.world, "device": self.cluster.device.type}}
        training.pop("schedule", None)
        if self.budget.minutes is None:   # a step or epoch budget: a resume with the same budget goes on with it
            training["schedule"] = {k: v for k, v in {"startStep": t.schedule_start, "steps": self.budget.steps,
                                                      "epochs": self.budget.epochs}.items() if v is not None}
        save_checkpoint(self.args.out, Checkpoint(self.setup.config, self.setup.vocab.chars, t.params(), training, t.cfg), state)

    def report(self, text: Optional[str]) -> None:
        """One progress line, with the fields of `lstm-lens train --json` (src/cli/progress.ts)."""
        t, now = self.trainer, time.monotonic()
        elapsed, f = now - self.t0, self.budget.fraction(t, now)
        line = {"step": t.steps, "epoch": t.epoch, "chars": t.chars,
                "chars_per_s": round((t.chars - self.start_chars) / elapsed) if elapsed > 0 else 0,
                "train_bpc": round4(self.smoothed), "val_bpc": None if self.val_bpc is None else round4(self.val_bpc),
                "eta_s": round(max(0.0, elapsed * (1 - f) / f)) if f > 0 else None, "lr": t.lr}
        if text is not None:
            line["sample"] = text
        emit(line)

    def say(self, messages: List[str]) -> None:
        if self.leader:
            for message in messages:
                notice(message)


def run(args: argparse.Namespace) -> int:
    cluster = join_cluster(args.device)
    if args.threads:
        torch.set_num_threads(args.threads)
    corpus = read_corpus(args.corpus)
    if corpus.vocab != build_vocab(corpus.train):
        raise SystemExit(f"lstm_lens_torch.train: {args.corpus}/vocab.json is not the vocabulary of its train.txt; write the corpus again with `lstm-lens corpus`.")
    setup = prepare(args, corpus.vocab)
    data = setup.vocab.encode(corpus.train)
    val = cap_streams([setup.vocab.encode(s) for s in split_streams(corpus.val)], MAX_VAL_CHARS)
    bf16 = cluster.device.type == "cuda" and not args.fp32 and torch.cuda.is_bf16_supported()
    trainer = Trainer(setup, data, cluster, bf16)
    loop = RunLoop(args, setup, trainer, cluster, val)
    c = setup.config
    loop.say(setup.notices + trainer.notices + [
        f"Training a {c['layers']}×{c['hidden']} {c['cell'].upper()} on {len(data):,} characters "
        f"(vocabulary {len(setup.vocab)}) with torch {torch.__version__} on {cluster.world} "
        f"{'process' if cluster.world == 1 else 'processes'} ({cluster.device.type}), batch {trainer.layout.batch}."])
    trainer.notices.clear()
    loop.run()
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    try:
        return run(args)
    except (OSError, ValueError) as e:   # a missing or bad file, text the vocabulary cannot encode
        notice(f"lstm_lens_torch.train: {e}")
        return 1
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


if __name__ == "__main__":
    sys.exit(main())
