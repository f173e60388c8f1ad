#!/bin/sh
# Old recipe against new at equal numbers of steps, on the held-out corpora (bench/heldout/README.md).
#   sh bench/heldout/table.sh old|new "300 1000" [LANGS]      (LANGS default "ts c py")
# old: the CLI of commit a82bbd2 (the defaults of 304ee59), built once into $OLD_DIR (default
#      /tmp/lstm-lens-old) from this repository's history; new: this tree's dist/cli.js.
# Each run: 2×256 LSTM, --threads 1, train.txt with val.txt for validation; then test bits/char
# with this tree's `eval --raw test.txt --json`. One JSON line per run on stdout and appended
# to bench/results/heldout/table.jsonl.
set -eu
RECIPE=$1; STEPS=$2; LANGS=${3:-"ts c py"}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
H=$ROOT/bench/results/heldout
OLD_DIR=${OLD_DIR:-/tmp/lstm-lens-old}
THREADS=${THREADS:-1}
if [ "$RECIPE" = old ]; then
  if [ ! -f "$OLD_DIR/dist/cli.js" ]; then
    mkdir -p "$OLD_DIR" && git -C "$ROOT" archive a82bbd2 | tar -x -C "$OLD_DIR"
    ln -sf "$ROOT/node_modules" "$OLD_DIR/node_modules" && (cd "$OLD_DIR" && npm run --silent build)
  fi
  CLI=$OLD_DIR/dist/cli.js
else
  CLI=$ROOT/dist/cli.js
fi
mkdir -p "$H/runs"
for lang in $LANGS; do
  for n in $STEPS; do
    m=$H/runs/$RECIPE-$lang-$n.safetensors
    rm -f "$m" "${m%.safetensors}".*.safetensors "${m%.safetensors}".ngram.bin
    t0=$(date +%s)
    node "$CLI" train --raw "$H/$lang/train.txt" --val "$H/$lang/val.txt" --out "$m" --steps "$n" --layers 2 --hidden 256 --threads "$THREADS" --json \
      > "$H/runs/$RECIPE-$lang-$n.log" 2>&1
    t1=$(date +%s)
    cps=$(grep '"chars_per_s"' "$H/runs/$RECIPE-$lang-$n.log" | tail -1 | sed 's/.*"chars_per_s":\([0-9.]*\).*/\1/')
    test=$(node "$ROOT/dist/cli.js" eval --model "$m" --raw "$H/$lang/test.txt" --json | sed 's/.*"bpc":\([0-9.]*\).*/\1/')
    line="{\"recipe\":\"$RECIPE\",\"lang\":\"$lang\",\"steps\":$n,\"threads\":$THREADS,\"test_bpc\":$test,\"chars_per_s\":${cps:-null},\"seconds\":$((t1 - t0))}"
    echo "$line"; echo "$line" >> "$H/table.jsonl"
  done
done
