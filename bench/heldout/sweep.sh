#!/bin/sh
# Quick recipe sweeps on a SMALL model (default 1×128 LSTM), one knob at a time, equal steps:
#   sh bench/heldout/sweep.sh LANG STEPS "VARIANT ARGS" ...     e.g.
#   sh bench/heldout/sweep.sh ts 300 "--schedule constant --warmup 0 --forget-bias 0" "--lr 4e-3"
# Each variant: bench/heldout/train.ts with those flags, then test bits/char (eval --raw test.txt).
# One JSON line per variant on stdout and appended to bench/results/heldout/sweep.jsonl.
set -eu
LANG_=$1; STEPS=$2; shift 2
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
H=$ROOT/bench/results/heldout
SIZE=${SIZE:-"--layers 1 --hidden 128"}
mkdir -p "$H/sweep"
i=0
for args in "$@"; do
  i=$((i + 1))
  m=$H/sweep/$LANG_-$STEPS-$i-$$.safetensors
  # shellcheck disable=SC2086
  r=$(cd "$ROOT" && npx tsx bench/heldout/train.ts --train "$H/$LANG_/train.txt" --val "$H/$LANG_/val.txt" --out "$m" --steps "$STEPS" $SIZE $args 2>/dev/null)
  test=$(node "$ROOT/dist/cli.js" eval --model "$m" --raw "$H/$LANG_/test.txt" --json | sed 's/.*"bpc":\([0-9.]*\).*/\1/')
  rm -f "${m%.safetensors}".*
  line="{\"lang\":\"$LANG_\",\"steps\":$STEPS,\"size\":\"$SIZE\",\"args\":\"$args\",\"test_bpc\":$test,\"run\":$r}"
  echo "$line"; echo "$line" >> "$H/sweep.jsonl"
done
