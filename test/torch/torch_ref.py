"""Loss, final state and gradients of truncated-BPTT chunks, computed by PyTorch in float64.

usage: /usr/bin/python3 torch_ref.py WEIGHTS.safetensors SPEC.json OUT.json     (one case)
       /usr/bin/python3 torch_ref.py --cases CASES.json OUT.json                (many cases, one
                     torch import: CASES is a JSON list of specs, each with "weights": path)

SPEC: {"cell", "layers", "hidden", "vocab",
       "inputs": (T,B) ids, "targets": (T,B) ids (negative = masked),
       or "chunks": [{"inputs", "targets", "masks"?}, ...] run one after another with the state
       carried (detached between chunks, as truncated BPTT does) and the gradients accumulated,
       "h0"?: (L,B,H), "c0"?: (L,B,H)}              nested lists, or flat row-major with "T", "B"
      "masks" (dropout between layers): per layer k < L-1, flat (T,B,H), the inverted-dropout mask
       that multiplies layer k's output in that chunk (0 or 1/(1-p); see forward_with_masks)
OUT:  {"loss": Σ nats over all chunks, "losses": [per chunk], "h": flat (L,B,H), "c": flat or null,
       "grads": {tensor name: flat row-major list}}  (gradients of Σ nats, not of the mean)
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from charrnn_torch import CharRNN, split_state, sum_nats  # noqa: E402
from safetensors_io import read_safetensors  # noqa: E402


def flat(t):
    return t.detach().reshape(-1).tolist()


def load_model(weights_path, cell, L, H, V):
    """A float64 CharRNN holding exactly the tensors of the file (names and shapes must match)."""
    model = CharRNN(cell, L, H, V).double()
    tensors, _ = read_safetensors(weights_path)
    own = model.state_dict()
    missing, extra = set(own) - set(tensors), set(tensors) - set(own)
    if missing or extra:
        raise SystemExit(f"tensor names differ: missing {sorted(missing)}, unexpected {sorted(extra)}")
    for name, t in tensors.items():
        if tuple(t.shape) != tuple(own[name].shape):
            raise SystemExit(f"{name}: shape {list(t.shape)}, torch expects {list(own[name].shape)}")
    model.load_state_dict({k: v.to(torch.float64) for k, v in tensors.items()}, strict=True)
    return model


def run_case(weights_path, spec):
    cell, L, H, V = spec["cell"], spec["layers"], spec["hidden"], spec["vocab"]
    model = load_model(weights_path, cell, L, H, V)
    chunks = spec.get("chunks") or [{"inputs": spec["inputs"], "targets": spec["targets"]}]

    def ids(x):
        t = torch.tensor(x, dtype=torch.int64)
        return t.reshape(spec["T"], spec["B"]) if t.dim() == 1 else t

    B = ids(chunks[0]["inputs"]).shape[1]
    state = model.zero_state(B, torch.float64)
    if spec.get("h0") is not None:
        h0 = torch.tensor(spec["h0"], dtype=torch.float64).reshape(L, B, H)
        state = (h0, torch.tensor(spec["c0"], dtype=torch.float64).reshape(L, B, H)) if cell == "lstm" else h0

    losses = []
    for chunk in chunks:
        # truncated BPTT: the carried state is a constant for this chunk
        state = tuple(s.detach() for s in state) if cell == "lstm" else state.detach()
        if chunk.get("masks"):
            masks = [torch.tensor(m, dtype=torch.float64).reshape(-1, B, H) for m in chunk["masks"]]
            logits, state = model.forward_with_masks(ids(chunk["inputs"]), state, masks)
        else:
            logits, state = model(ids(chunk["inputs"]), state)
        loss = sum_nats(logits, ids(chunk["targets"]))
        loss.backward()  # accumulates into .grad across chunks
        losses.append(loss.item())

    h, c = split_state(model, state)
    return {
        "loss": sum(losses),
        "losses": losses,
        "h": flat(h),
        "c": flat(c) if c is not None else None,
        "grads": {name: flat(p.grad) for name, p in model.named_parameters()},
    }


def main(argv):
    torch.set_num_threads(1)
    if len(argv) == 3 and argv[0] == "--cases":
        with open(argv[1]) as f:
            cases = json.load(f)
        out, out_path = [run_case(case["weights"], case) for case in cases], argv[2]
    elif len(argv) == 3:
        with open(argv[1]) as f:
            spec = json.load(f)
        out, out_path = run_case(argv[0], spec), argv[2]
    else:
        raise SystemExit(__doc__)
    with open(out_path, "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main(sys.argv[1:])
