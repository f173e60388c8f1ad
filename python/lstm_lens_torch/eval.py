"""Bits per character of a checkpoint on text, as `lstm-lens eval --json` computes them.

    python3 -m lstm_lens_torch.eval --model FILE --raw FILE [FILE...]   each file one stream, verbatim
    python3 -m lstm_lens_torch.eval --model FILE --corpus DIR           DIR/val.txt's streams
    -> {"bpc": ..., "chars": ..., "oov": ...}

Scoring (src/engine/eval.ts): each stream runs from the zero state; characters 2..N are scored,
each from the state after the characters before it, so a stream of N characters counts N−1.
A character outside the vocabulary is fed as UNK and costs −log2 P(UNK) + log2(code points
outside the vocabulary): P(UNK) spread evenly over them.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass
from typing import List

import numpy as np
import torch

from .checkpoint import load_checkpoint
from .data import Vocab, read_corpus, read_text, split_streams
from .model import CharRNN, sum_nats

LN2 = math.log(2)


@dataclass
class Score:
    bits: float
    chars: int
    oov: int

    @property
    def bpc(self) -> float:
        return self.bits / self.chars if self.chars else float("nan")


@torch.no_grad()
def score_streams(model: CharRNN, streams: List[np.ndarray], vocab: Vocab, device: torch.device,
                  lanes: int = 16, chunk: int = 256) -> Score:
    """Σ bits over characters 2..N of every stream. Streams run side by side in `lanes`
    (longest first, padded with masked targets, which changes nothing before the padding)."""
    queue = sorted((s for s in streams if len(s) >= 2), key=len, reverse=True)
    nats, chars, oov = 0.0, 0, 0
    for g in range(0, len(queue), lanes):
        group = queue[g:g + lanes]
        steps = len(group[0]) - 1
        inputs = np.zeros((steps, len(group)), dtype=np.int64)
        targets = np.full((steps, len(group)), -1, dtype=np.int64)
        for b, s in enumerate(group):
            inputs[:len(s) - 1, b] = s[:-1]
            targets[:len(s) - 1, b] = s[1:]
            chars += len(s) - 1
            if vocab.unk_id >= 0:
                oov += int((s[1:] == vocab.unk_id).sum())
        state = model.zero_state(len(group), device)
        for t in range(0, steps, chunk):
            x = torch.from_numpy(inputs[t:t + chunk]).to(device)
            logits, state = model(x, state)
            nats += sum_nats(logits, torch.from_numpy(targets[t:t + chunk]).to(device)).item()
    bits = nats / LN2 + (oov * math.log2(vocab.out_of_vocab_code_points) if vocab.unk_id >= 0 else 0.0)
    return Score(bits, chars, oov)


def main(argv: List[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m lstm_lens_torch.eval", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="an LSTM Lens checkpoint (.safetensors)")
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--raw", nargs="+", metavar="FILE", help="text files, each scored verbatim as one stream")
    src.add_argument("--corpus", metavar="DIR", help="a folder `lstm-lens corpus` wrote: score its val.txt")
    ap.add_argument("--device", default="cpu", help="cpu or cuda (default cpu)")
    args = ap.parse_args(argv)

    try:
        ck = load_checkpoint(args.model)
        vocab = Vocab(ck.vocab)
        texts = [read_text(p) for p in args.raw] if args.raw else split_streams(read_corpus(args.corpus).val)
        streams = [vocab.encode(t) for t in texts]
    except (OSError, ValueError) as e:   # a missing or bad file, text the vocabulary cannot encode
        print(f"lstm_lens_torch.eval: {e}", file=sys.stderr)
        return 1
    device = torch.device(args.device)
    model = CharRNN.from_config(ck.config)
    model.load_state_dict(ck.params)
    model.to(device).eval()
    score = score_streams(model, streams, vocab, device)
    if score.chars == 0:
        print("lstm_lens_torch.eval: there is nothing to score: every text has fewer than two characters.", file=sys.stderr)
        return 1
    print(json.dumps({"bpc": score.bpc, "chars": score.chars, "oov": score.oov}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
