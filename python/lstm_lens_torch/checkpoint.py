"""LSTM Lens checkpoints (`lstm-lens/1`) and their optimizer sidecar (`lstm-lens-state/1`),
read and written exactly as src/engine/checkpoint.ts and src/model-files/ do.

Model file, e.g. model.safetensors:
    tensors       rnn.weight_ih_l{k} (G·H, V or H), rnn.weight_hh_l{k} (G·H, H), rnn.bias_ih_l{k},
                  rnn.bias_hh_l{k} (G·H), decoder.weight (V, H), decoder.bias (V): a torch
                  nn.LSTM/GRU/RNN + nn.Linear state dict, F32, in that order
    __metadata__  format "lstm-lens/1"; config {cell, layers, hidden, vocabSize, dropout};
                  train (the TrainConfig); vocab (JSON array of characters, UNK = U+FFFF last);
                  training {steps, charsSeen, elapsedMs, valBpcHistory, ...}; cells (optional)

Sidecar, model.state.safetensors: the trainer's state (optim.<name> flat over all parameters in
the order above, hidden.h and hidden.c (L, B, H) flat) and meta JSON with the stream positions
and counters, stamped with the model's step count (`checkpointSteps`) so a sidecar from another
step is not mistaken for this model's. It is written first, then the model.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

import torch

from .safetensors import FormatError, encode_safetensors, read_safetensors, write_file_atomic

CHECKPOINT_FORMAT = "lstm-lens/1"
STATE_FORMAT = "lstm-lens-state/1"
TRAINER_FORMAT = "lstm-lens-trainer/1"
STATE_STEPS_KEY = "checkpointSteps"
UNK = "\uffff"
GATES = {"lstm": 4, "gru": 3, "rnn": 1}

# The engine's TrainConfig defaults (src/engine/config.ts DEFAULT_TRAIN).
DEFAULT_TRAIN: Dict[str, Any] = {
    "seqLength": 64, "batchSize": 32, "optimizer": "adam", "learningRate": 1e-2,
    "schedule": "cosine", "warmupSteps": 20, "lrFloor": 0.1, "lrDecay": 1, "lrDecayEvery": 0, "clipNorm": 5, "clipValue": 0, "momentum": 0.9, "beta1": 0.9,
    "beta2": 0.999, "rmsDecay": 0.99, "eps": 1e-8, "weightDecay": 0, "seed": 1,
}


@dataclass
class Checkpoint:
    config: Dict[str, Any]              # cell, layers, hidden, vocabSize, dropout
    vocab: List[str]
    params: Dict[str, torch.Tensor]     # by PyTorch name, in layout order
    training: Dict[str, Any]
    train: Optional[Dict[str, Any]] = None


@dataclass
class TrainingState:
    tensors: Dict[str, torch.Tensor]
    meta: Dict[str, Any] = field(default_factory=dict)


def state_path(checkpoint_path: str) -> str:
    """model.safetensors -> model.state.safetensors (src/model-files/paths.ts)."""
    stem = checkpoint_path[:-len(".safetensors")] if checkpoint_path.endswith(".safetensors") else checkpoint_path
    return stem + ".state.safetensors"


def param_shapes(config: Dict[str, Any]) -> Dict[str, List[int]]:
    """Tensor names and shapes of a config, in the engine's layout order (src/engine/params.ts)."""
    gh, h, v = GATES[config["cell"]] * config["hidden"], config["hidden"], config["vocabSize"]
    shapes: Dict[str, List[int]] = {}
    for k in range(config["layers"]):
        shapes[f"rnn.weight_ih_l{k}"] = [gh, v if k == 0 else h]
        shapes[f"rnn.weight_hh_l{k}"] = [gh, h]
        shapes[f"rnn.bias_ih_l{k}"] = [gh]
        shapes[f"rnn.bias_hh_l{k}"] = [gh]
    shapes["decoder.weight"] = [v, h]
    shapes["decoder.bias"] = [v]
    return shapes


def load_checkpoint(path: str) -> Checkpoint:
    """Reads and validates a model file; raises FormatError with one sentence when it is off."""
    tensors, meta = read_safetensors(path)
    if meta.get("format") != CHECKPOINT_FORMAT:
        raise FormatError(f"{path} is not an LSTM Lens model checkpoint (format {meta.get('format')!r}, not {CHECKPOINT_FORMAT!r}).")
    config = _json(meta, "config", path)
    config = {"cell": config.get("cell"), "layers": config.get("layers"), "hidden": config.get("hidden"),
              "vocabSize": config.get("vocabSize"), "dropout": config.get("dropout", 0)}
    if config["cell"] not in GATES:
        raise FormatError(f"The checkpoint {path} has the unknown cell type {config['cell']!r}.")
    vocab = _json(meta, "vocab", path)
    if not isinstance(vocab, list) or len(vocab) != config["vocabSize"] or len(set(vocab)) != len(vocab) \
            or not all(isinstance(c, str) and len(c) == 1 for c in vocab):
        raise FormatError(f"The vocabulary of {path} is not {config['vocabSize']} distinct single characters.")
    shapes = param_shapes(config)
    if set(tensors) != set(shapes):
        raise FormatError(f"The tensors of {path} are not those of its config: {sorted(set(tensors) ^ set(shapes))}.")
    for name, shape in shapes.items():
        if list(tensors[name].shape) != shape:
            raise FormatError(f"Tensor {name} of {path} has shape {list(tensors[name].shape)}, not {shape}.")
        if not torch.isfinite(tensors[name]).all():
            raise FormatError(f"The checkpoint {path} holds non-finite values in {name}.")
    training = json.loads(meta["training"]) if "training" in meta else {}
    training = {**training, "steps": training.get("steps", 0), "charsSeen": training.get("charsSeen", 0),
                "elapsedMs": training.get("elapsedMs", 0), "valBpcHistory": training.get("valBpcHistory", [])}
    train = _json(meta, "train", path) if "train" in meta else None
    return Checkpoint(config, vocab, {n: tensors[n] for n in shapes}, training, train)


def save_checkpoint(path: str, ck: Checkpoint, state: Optional[TrainingState] = None) -> None:
    """Writes the sidecar (or removes a stale one), then the model, each atomically."""
    for name, t in ck.params.items():
        if not torch.isfinite(t).all():
            raise FormatError(f"The model holds non-finite values in {name}, so it was not saved.")
    metadata = {
        "format": CHECKPOINT_FORMAT,
        "config": _dumps({k: ck.config[k] for k in ("cell", "layers", "hidden", "vocabSize", "dropout")}),
        "vocab": _dumps(ck.vocab),
        "training": _dumps(ck.training),
    }
    if ck.train is not None:
        metadata["train"] = _dumps(ck.train)
    model_bytes = encode_safetensors({n: ck.params[n] for n in param_shapes(ck.config)}, metadata)
    sidecar = state_path(path)
    if state is not None:
        meta = {**state.meta, STATE_STEPS_KEY: ck.training["steps"]}
        write_file_atomic(sidecar, encode_safetensors(state.tensors, {"format": STATE_FORMAT, "meta": _dumps(meta)}))
    elif os.path.exists(sidecar):
        os.unlink(sidecar)
    write_file_atomic(path, model_bytes)


def load_training_state(checkpoint_path: str, expect_steps: int) -> Optional[TrainingState]:
    """The sidecar beside a model when there is one for this step, else None."""
    path = state_path(checkpoint_path)
    if not os.path.exists(path):
        return None
    tensors, meta = read_safetensors(path)
    if meta.get("format") != STATE_FORMAT:
        raise FormatError(f"{path} is not LSTM Lens optimizer state.")
    state = TrainingState({n: t.reshape(-1) for n, t in tensors.items()}, json.loads(meta.get("meta", "{}")))
    steps = state.meta.get(STATE_STEPS_KEY)
    if steps is not None and steps != expect_steps:
        raise FormatError(f"The optimizer state in {path} is from step {steps} but the model is at step {expect_steps}.")
    return state


def _json(meta: Dict[str, str], key: str, path: str) -> Any:
    if key not in meta:
        raise FormatError(f"The checkpoint {path} has no {key} entry in its metadata.")
    try:
        return json.loads(meta[key])
    except json.JSONDecodeError:
        raise FormatError(f"The {key} entry of {path} is not valid JSON.") from None


def _dumps(x: Any) -> str:
    """JSON as JavaScript's JSON.stringify writes it (no spaces); non-finite numbers refused."""
    return json.dumps(x, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
