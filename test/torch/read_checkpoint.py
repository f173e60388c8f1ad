"""PyTorch reads checkpoints that LSTM Lens wrote, and scores text with them.

usage: /usr/bin/python3 read_checkpoint.py JOBS.json OUT.json
JOBS: [{"model": MODEL.safetensors, "eval": [TEXT_FILE, ...], "oov_code_points": N}, ...]
OUT:  one entry per job: {"config", "vocab", "tensors": [names in file order], "metadata_keys",
       "eval": write_checkpoint.evaluate's result (bits, chars, oov, next_probs, final_h, final_c),
       "train_mode_changes_output": whether torch's own dropout (training mode) changes the
       logits, i.e. the dropout of the checkpoint's config is live in the torch model}

The model is built from nothing but the file: torch.nn.LSTM/GRU/RNN(dropout = the config's) +
nn.Linear from the metadata's config, the tensors loaded by name (strict), then evaluated in eval
mode, as `lstm-lens eval` scores (see write_checkpoint.py).
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from charrnn_torch import CharRNN  # noqa: E402
from safetensors_io import read_safetensors  # noqa: E402
from write_checkpoint import UNK, evaluate, read_text  # noqa: E402


def read_job(job):
    tensors, meta = read_safetensors(job["model"])
    if meta.get("format") != "lstm-lens/1":
        raise SystemExit(f"{job['model']}: format {meta.get('format')!r}, not lstm-lens/1")
    config, vocab = json.loads(meta["config"]), json.loads(meta["vocab"])
    model = CharRNN(config["cell"], config["layers"], config["hidden"], config["vocabSize"],
                    dropout=config["dropout"])
    model.load_state_dict(tensors, strict=True)  # every name and shape as torch's own
    unk_id = vocab.index(UNK) if UNK in vocab else -1
    char_to_id = {ch: i for i, ch in enumerate(vocab) if ch != UNK}
    texts = [read_text(p) for p in job["eval"]]
    result = evaluate(model, char_to_id, unk_id, texts, job["oov_code_points"])

    # torch's dropout in training mode draws masks: the same input gives other logits
    ids = torch.tensor([char_to_id.get(ch, unk_id) for ch in texts[0]], dtype=torch.int64).unsqueeze(1)
    m = model.double()
    with torch.no_grad():
        m.eval()
        plain, _ = m(ids, m.zero_state(1, torch.float64))
        m.train()
        torch.manual_seed(0)
        dropped, _ = m(ids, m.zero_state(1, torch.float64))
    return {"config": config, "vocab": vocab, "tensors": list(tensors), "metadata_keys": sorted(meta),
            "eval": result, "train_mode_changes_output": not torch.equal(plain, dropped)}


def main(argv):
    if len(argv) != 2:
        raise SystemExit(__doc__)
    torch.set_num_threads(1)
    with open(argv[0]) as f:
        jobs = json.load(f)
    out = [read_job(job) for job in jobs]
    with open(argv[1], "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main(sys.argv[1:])
