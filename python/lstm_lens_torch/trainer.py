"""One rank's part of a training run: the engine's step (src/engine/trainer.ts) on its share of
the streams, with DDP summing the ranks' gradients, and the run's state in the engine's sidecar
format (optimizer moments, stream positions, carried hidden state) both ways.
"""
from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from .checkpoint import TRAINER_FORMAT, TrainingState
from .cluster import Cluster, share
from .data import StreamLayout, Vocab
from .model import CharRNN, detach_state, make_state, state_hc, sum_nats

LN2 = math.log(2)
MAX_ROLLBACKS = 3      # diverged (NaN) steps tolerated, each halving the learning rate


@dataclass
class Setup:
    config: Dict[str, Any]
    train_cfg: Dict[str, Any]
    vocab: Vocab
    params: Optional[Dict[str, torch.Tensor]]   # from the checkpoint, or None for a new model
    progress: Dict[str, Any]
    state: Optional[TrainingState]
    notices: List[str] = field(default_factory=list)
    overrides: Dict[str, Any] = field(default_factory=dict)   # training settings given as flags


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
        else:   # a new model starts as the engine's does (the same on every rank: DDP broadcasts rank 0's)
            self.model.init_as_engine(torch.from_numpy(np.asarray(data)))
        self.model.to(cluster.device)
        torch.manual_seed(cfg["seed"] + 1 + cluster.rank)   # dropout masks: each rank its own
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
        self.lr_scale = 1.0        # halved by each NaN step, on top of the schedule
        self.schedule_start = self.steps   # where this run's schedule began (RunLoop may move it back)
        self.notices: List[str] = []
        if setup.state is not None:
            self._restore(setup.state, keep_lr="learningRate" in setup.overrides)

    def scheduled_lr(self, fraction: float) -> float:
        """The learning rate of the next step, as src/engine/schedule.ts gives it: a linear warm-up
        over warmupSteps, then cosine (or linear) from the peak to lrFloor × peak when `fraction`
        (of this run's budget, spent when the step ends) reaches 1. 'constant', or a step decay
        asked for with lrDecayEvery, keeps self.lr."""
        cfg = self.cfg
        name = "constant" if cfg.get("lrDecayEvery", 0) else cfg.get("schedule", "constant")
        if name == "constant":
            return self.lr
        f = min(1.0, max(0.0, fraction))
        s = self.steps - self.schedule_start
        warm = min(1.0, (s + 1) / cfg["warmupSteps"]) if cfg.get("warmupSteps", 0) > 0 else 1.0
        shape = 0.5 * (1 + math.cos(math.pi * f)) if name == "cosine" else 1 - f
        return cfg["learningRate"] * warm * (cfg["lrFloor"] + (1 - cfg["lrFloor"]) * shape) * self.lr_scale

    # One chunk for every stream: forward, backward (DDP sums the ranks' gradients), clip, step.
    # `fraction`: the leader's share of the schedule's budget spent when this step ends (the
    # others pass 0; the all-reduce gives every rank the leader's, so all take the same rate).
    def step(self, stop: bool, save: bool, fraction: float = 0.0) -> StepResult:
        inputs, targets, count = self.layout.chunk(self.data, self.streams.start, self.streams.stop)
        x = torch.from_numpy(inputs).to(self.cluster.device)
        y = torch.from_numpy(targets).to(self.cluster.device)
        self.optimizer.zero_grad(set_to_none=False)
        with torch.autocast(device_type="cuda", dtype=torch.bfloat16) if self.bf16 else contextlib.nullcontext():
            logits, new_hidden = self.net(x, self.hidden)
        local_nats = sum_nats(logits, y)
        (local_nats * (self.cluster.world / count)).backward()
        # one small all-reduce: the chunk's nats, and whether any rank asks to stop or save
        stats = torch.tensor([local_nats.item(), float(stop), float(save), fraction], dtype=torch.float64)
        if self.cluster.distributed:
            stats = stats.to(self.cluster.device)
            dist.all_reduce(stats)
            stats = stats.cpu()
        nats, stop, save, fraction = float(stats[0]), bool(stats[1] > 0), bool(stats[2] > 0), float(stats[3])
        norm = self._clip()
        if not (math.isfinite(norm) and math.isfinite(nats)):
            return self._diverged(nats, norm, stop, save)
        lr = self.scheduled_lr(fraction)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
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
        self.lr_scale *= 0.5
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

    def _restore(self, state: TrainingState, keep_lr: bool) -> None:
        """Where the saved run was: counters, Adam's moments, and (same text and layout) the streams."""
        meta, tr = state.meta, state.meta.get("trainer", {})
        if meta.get("format") != TRAINER_FORMAT or meta.get("optimizer") != self.cfg["optimizer"]:
            self.notices.append("The optimizer state beside the stored model is for another optimizer; training continues with a fresh one.")
            return
        self._load_optimizer(state.tensors, meta.get("optimizerScalars", {}))
        self.steps, self.epoch, self.chars = int(tr["step"]), int(tr["epoch"]), int(tr["charsSeen"])
        if not keep_lr:   # the saved rate, decayed or halved after a NaN, unless --lr says otherwise
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
