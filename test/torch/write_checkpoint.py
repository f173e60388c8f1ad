"""PyTorch trains a small char-RNN, writes it as an LSTM Lens checkpoint, and scores text with it.

usage: /usr/bin/python3 write_checkpoint.py --train TEXT_FILE --out MODEL.safetensors
           [--cell lstm] [--layers 2] [--hidden 32] [--steps 150] [--seed 1]
           [--eval FILE ...] [--oov-code-points N] [--eval-out EVAL.json]

The checkpoint is torch's own state dict (float32, PyTorch names) plus our metadata:
format "lstm-lens/1", config (JSON ModelConfig), vocab (sorted characters of the training text,
then UNK = U+FFFF), training (JSON progress).

The evaluation follows the `lstm-lens eval` contract: each file is one stream fed from the zero
state; characters 2..N are scored, each from the state after the characters before it. A
character outside the vocabulary is fed as UNK and costs −log2 P(UNK) + log2(oov_code_points)
(P(UNK) spread uniformly over the code points outside the vocabulary).
EVAL.json: {"bits": Σ bits, "chars": chars scored, "oov": chars outside the vocabulary, "bpc",
            "next_probs": (V) the distribution after feeding ALL of the first file,
            "final_h", "final_c": (L,H) flat, the state after it (final_c null for GRU/RNN)}.
"""
import argparse
import json
import math
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from charrnn_torch import CharRNN, sum_nats  # noqa: E402
from safetensors_io import write_safetensors  # noqa: E402

UNK = "\uffff"


def read_text(path):
    with open(path, encoding="utf-8", newline="") as f:
        return f.read()


def train(model, ids, steps, seq, batch, lr):
    """Adam with global-norm clipping 5 on `batch` streams through the text, truncated BPTT."""
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    n = (len(ids) - 1) // batch  # each stream owns a contiguous slice of the text
    starts = torch.arange(batch) * n
    state = model.zero_state(batch)
    pos = 0
    for _ in range(steps):
        if pos + seq + 1 > n:
            pos, state = 0, model.zero_state(batch)
        idx = starts.unsqueeze(0) + pos + torch.arange(seq + 1).unsqueeze(1)  # (T+1, B)
        chunk = ids[idx]
        state = tuple(s.detach() for s in state) if model.cell == "lstm" else state.detach()
        logits, state = model(chunk[:-1], state)
        loss = sum_nats(logits, chunk[1:]) / (seq * batch)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        pos += seq


@torch.no_grad()
def evaluate(model, char_to_id, unk_id, texts, oov_code_points):
    """Σ bits over characters 2..N of each text, in float64, in eval mode (no dropout)."""
    m = CharRNN(model.cell, model.layers, model.hidden, model.vocab_size, dropout=model.rnn.dropout).double()
    m.load_state_dict({k: v.double() for k, v in model.state_dict().items()})
    m.eval()
    bits, chars, oov = 0.0, 0, 0
    after_first = {}
    for text in texts[:1]:
        # the state and next-character distribution after feeding the whole first text
        ids = torch.tensor([char_to_id.get(ch, unk_id) for ch in text], dtype=torch.int64)
        logits, state = m(ids.unsqueeze(1), m.zero_state(1, torch.float64))
        h, c = (state[0], state[1]) if m.cell == "lstm" else (state, None)
        after_first = {"next_probs": F.softmax(logits[-1, 0], dim=-1).tolist(),
                       "final_h": h.reshape(-1).tolist(),
                       "final_c": c.reshape(-1).tolist() if c is not None else None}
    for text in texts:
        cps = list(text)  # code points, as the engine's streams
        if len(cps) < 2:
            continue
        ids = torch.tensor([char_to_id.get(ch, unk_id) for ch in cps], dtype=torch.int64)
        logits, _ = m(ids[:-1].unsqueeze(1), m.zero_state(1, torch.float64))
        logp = F.log_softmax(logits.squeeze(1), dim=-1)  # (N-1, V)
        nats = -logp.gather(1, ids[1:].unsqueeze(1)).squeeze(1)
        bits += nats.sum().item() / math.log(2)
        unknown = sum(1 for ch in cps[1:] if ch not in char_to_id)
        bits += unknown * math.log2(oov_code_points)
        chars += len(cps) - 1
        oov += unknown
    return {"bits": bits, "chars": chars, "oov": oov, "bpc": bits / chars if chars else None,
            **after_first}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--cell", default="lstm", choices=["lstm", "gru", "rnn"])
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--hidden", type=int, default=32)
    ap.add_argument("--steps", type=int, default=150)
    ap.add_argument("--seq", type=int, default=32)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--lr", type=float, default=1e-2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--eval", nargs="*", default=[])
    ap.add_argument("--oov-code-points", type=int, default=0x110000)
    ap.add_argument("--eval-out")
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)

    text = read_text(args.train)
    vocab = sorted(set(text)) + [UNK]
    char_to_id = {ch: i for i, ch in enumerate(vocab[:-1])}
    unk_id = len(vocab) - 1
    model = CharRNN(args.cell, args.layers, args.hidden, len(vocab))
    t0 = time.perf_counter()
    train(model, torch.tensor([char_to_id[ch] for ch in text], dtype=torch.int64),
          args.steps, args.seq, args.batch, args.lr)
    elapsed_ms = (time.perf_counter() - t0) * 1000

    config = {"cell": args.cell, "layers": args.layers, "hidden": args.hidden,
              "vocabSize": len(vocab), "dropout": 0}
    training = {"steps": args.steps, "charsSeen": args.steps * args.seq * args.batch,
                "elapsedMs": elapsed_ms, "valBpcHistory": [], "writer": "torch " + torch.__version__}
    metadata = {"format": "lstm-lens/1", "config": json.dumps(config),
                "vocab": json.dumps(vocab), "training": json.dumps(training)}
    write_safetensors(args.out, dict(model.state_dict()), metadata)

    if args.eval_out:
        result = evaluate(model, char_to_id, unk_id, [read_text(p) for p in args.eval],
                          args.oov_code_points)
        with open(args.eval_out, "w") as f:
            json.dump(result, f)


if __name__ == "__main__":
    main()
