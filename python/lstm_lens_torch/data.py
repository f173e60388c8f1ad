"""The text and how a training run reads it: the corpus folder `lstm-lens corpus` writes,
characters as ids, validation streams, and the engine's layout of B streams over the text.
"""
from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass
from typing import List

import numpy as np

from .checkpoint import UNK

# Unicode scalar values: all code points but the 2,048 surrogates (src/corpus/vocab.ts).
UNICODE_SCALAR_VALUES = 0x110000 - 0x800
# The header line `lstm-lens corpus` puts before each file (src/corpus/build.ts fileHeader).
_HEADER = re.compile(r"==> [^\n]* <==\n")


@dataclass
class Corpus:
    train: str
    val: str
    vocab: List[str]


def read_text(path: str) -> str:
    """A file's text exactly: UTF-8, no newline translation, a BOM kept as U+FEFF."""
    with open(path, encoding="utf-8", errors="replace", newline="") as f:
        return f.read()


def read_corpus(folder: str) -> Corpus:
    """DIR/train.txt, DIR/val.txt and DIR/vocab.json as `lstm-lens corpus` wrote them."""
    for name in ("train.txt", "val.txt", "vocab.json"):
        if not os.path.isfile(os.path.join(folder, name)):
            raise FileNotFoundError(f"{folder} has no {name}; write the corpus with `lstm-lens corpus <path...> --out {folder}`.")
    with open(os.path.join(folder, "vocab.json"), encoding="utf-8") as f:
        vocab = json.load(f)
    return Corpus(read_text(os.path.join(folder, "train.txt")), read_text(os.path.join(folder, "val.txt")), vocab)


class Vocab:
    """Characters <-> ids as src/corpus/vocab.ts: ids are the list's indices; a character outside
    the list (and U+FFFF itself) is UNK when the list ends with it."""

    def __init__(self, chars: List[str]):
        self.chars = list(chars)
        self.unk_id = len(chars) - 1 if chars and chars[-1] == UNK else -1
        known = len(chars) - (1 if self.unk_id >= 0 else 0)
        self.out_of_vocab_code_points = UNICODE_SCALAR_VALUES - known
        self._lut = np.full(0x110000, self.unk_id, dtype=np.int64)
        for i, ch in enumerate(chars):
            if i != self.unk_id:
                self._lut[ord(ch)] = i

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> np.ndarray:
        ids = self._lut[np.frombuffer(text.encode("utf-32-le", errors="surrogatepass"), dtype="<u4")]
        if self.unk_id < 0 and (ids < 0).any():
            raise ValueError("The text has characters outside the vocabulary, which has no UNK entry.")
        return ids


def build_vocab(text: str) -> List[str]:
    """The vocabulary a new model gets (src/corpus/vocab.ts buildVocab): code points sorted, UNK last."""
    return sorted(set(text) - {UNK}) + [UNK]


def split_streams(text: str) -> List[str]:
    """val.txt back into its streams: each starts at a file header line (`==> path <==`).
    Text before the first header (a --raw corpus has no headers) is one stream of its own."""
    starts = [m.start() for m in _HEADER.finditer(text)]
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    return [s for s in (text[a:b] for a, b in zip(starts, starts[1:] + [len(text)])) if s]


def cap_streams(streams: List[np.ndarray], max_chars: int) -> List[np.ndarray]:
    """The streams' prefixes, up to max_chars in all (src/training/run-loop.ts capStreams)."""
    out, left = [], max_chars
    for s in streams:
        if left < 2:
            break
        if len(s) < 2:
            continue
        take = min(len(s), left)
        out.append(s[:take])
        left -= take
    return out


class StreamLayout:
    """B streams over the text, as src/engine/trainer.ts lays them out.

    Stream b reads segment [b·S, (b+1)·S), S = ⌊N/B⌋; each step gives every stream its next T
    characters (time-major (T, B)) and the characters one further on as targets, −1 past the
    segment's end. The epoch ends when stream 0's next chunk would have no target: all streams
    go back to their segment starts (the caller zeroes the state). B is capped at ⌊N/(T+1)⌋.
    """

    def __init__(self, n: int, seq: int, batch: int):
        if n < seq + 1:
            raise ValueError(f"The training text has {n} characters, too few for one chunk of {seq} characters plus its target.")
        self.n, self.seq = n, seq
        self.batch = min(batch, n // (seq + 1))
        self.segment = n // self.batch
        self.positions = self.segment_starts()
        # steps in one pass over the segments (the engine's Trainer.stepsPerEpoch)
        self.steps_per_epoch = math.ceil((self.segment - 1) / seq)

    def segment_starts(self) -> np.ndarray:
        return np.arange(self.batch, dtype=np.int64) * self.segment

    def chunk(self, data: np.ndarray, lo: int, hi: int):
        """(inputs, targets) (T, hi−lo) int64 of streams lo..hi−1, and the number of targets of
        all B streams (the loss is a mean over those)."""
        t = np.arange(self.seq, dtype=np.int64)[:, None]
        pos = self.positions[None, lo:hi] + t
        end = (np.arange(lo, hi, dtype=np.int64)[None, :] + 1) * self.segment
        inputs = np.where(pos < end, data[np.minimum(pos, self.n - 1)], 0)
        targets = np.where(pos + 1 < end, data[np.minimum(pos + 1, self.n - 1)], -1)
        ends = (np.arange(self.batch, dtype=np.int64) + 1) * self.segment
        count = int(np.clip(ends - 1 - self.positions, 0, self.seq).sum())
        return inputs, targets, count

    def advance(self) -> bool:
        """Moves every stream on by T; True when that ended an epoch (positions reset)."""
        self.positions = self.positions + self.seq
        if self.positions[0] + 1 >= self.segment:
            self.positions = self.segment_starts()
            return True
        return False

    def restore(self, positions: List[int]) -> bool:
        """Takes saved positions when they fit this layout; False (positions unchanged) if not."""
        ok = len(positions) == self.batch and all(
            isinstance(p, int) and b * self.segment <= p and p + 1 < (b + 1) * self.segment
            for b, p in enumerate(positions))
        if ok:
            self.positions = np.array(positions, dtype=np.int64)
        return ok
