#!/usr/bin/env bash
# How small a corpus is too small for a model (the editor's too-small-corpus warning,
# src/extension/training/corpus-warnings.ts): trains 1-layer LSTMs of two sizes on prefixes of
# the held-out TypeScript training text (bench/heldout) for the same 1,500 steps (seq 32, batch 8,
# the fixture workspace's settings) and prints, per (model, corpus size), the parameters,
# characters per parameter, the best validation bits/char on the first 50 k characters of
# val.txt, and the last validation and train figures.
# Usage: nice bash bench/corpus-size/run.sh HELDOUT_DIR   (e.g. <main checkout>/bench/results/heldout/ts)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SRC=${1:?the folder with train.txt and val.txt (bench/results/heldout/ts)}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
head -c 50000 "$SRC/val.txt" > "$TMP/val.txt"
printf 'model\tchars\tparams\tchars/param\tbest_val\tlast_val\tlast_train\n'
for hidden in 32 128; do
  for n in 3000 10000 30000 100000 300000 1000000; do
    head -c "$n" "$SRC/train.txt" > "$TMP/train.txt"
    rm -f "$TMP"/m.*
    node "$ROOT/dist/cli.js" train --raw "$TMP/train.txt" --val "$TMP/val.txt" --out "$TMP/m.safetensors" \
      --steps 1500 --hidden "$hidden" --layers 1 --seq 32 --batch 8 --lr 0.005 --threads 1 --json 2>/dev/null > "$TMP/log.jsonl" || true
    node --import tsx -e '
      const fs = require("fs");
      const { loadCheckpoint } = require(process.argv[1] + "/src/model-files/checkpoint-file.ts");
      const ck = loadCheckpoint(process.argv[2] + "/m.safetensors");
      const lines = fs.readFileSync(process.argv[2] + "/log.jsonl", "utf8").split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
      const vals = lines.map((l) => l.val_bpc).filter((v) => typeof v === "number");
      const last = lines[lines.length - 1] || {};
      const n = +process.argv[3], params = ck.params.length;
      console.log([`1x${ck.config.hidden}`, n, params, (n / params).toFixed(2), Math.min(...vals).toFixed(3), (last.val_bpc ?? NaN).toFixed(3), (last.train_bpc ?? NaN).toFixed(3)].join("\t"));
    ' "$ROOT" "$TMP" "$n"
  done
done
