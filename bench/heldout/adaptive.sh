#!/bin/sh
# The adaptive predictor on the held-out test files (issue 15): test bits/char of the LSTM alone,
# the old mixture (--no-adapt), the full adaptive mixture and each ablation (--without PART), with
# the adaptive predictor's chars/s and memory. Needs `npm run build` and a model with the n-gram
# counts beside it (default: bench/results/heldout/runs15/LANG.safetensors).
#   [HELDOUT=DIR] [MODELS=DIR] [CHARS=N] [CLI=dist/cli.js] sh bench/heldout/adaptive.sh LANG [RUNS]
# RUNS: any of lstm no-adapt adaptive counts match ctxmix sse lstm-off corpus (default: all);
# CHARS: score only the first N characters of test.txt (for quick ablations on a busy machine).
# Prints one line per run: LANG RUN {json}. Runs go one after another, niced.
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
lang=$1
runs=${2:-"lstm no-adapt adaptive counts match ctxmix sse lstm-off corpus"}
data=${HELDOUT:-$here/bench/results/heldout}
m=${MODELS:-$data/runs15}/$lang.safetensors
cli="node ${CLI:-$here/dist/cli.js}"
test=$data/$lang/test.txt
[ -f "$m" ] || { echo "no model $m" >&2; exit 1; }
if [ -n "${CHARS:-}" ]; then
  part=$(mktemp); head -c "$CHARS" "$test" > "$part"; test=$part
fi
for r in $runs; do
  case $r in
    lstm) args="" ;;
    no-adapt) args="--mixture --no-adapt" ;;
    adaptive) args="--mixture" ;;
    lstm-off) args="--mixture --without lstm" ;;
    *) args="--mixture --without $r" ;;
  esac
  echo "$lang $r $(nice $cli eval --model "$m" --raw "$test" $args --json)"
done
[ -z "${part:-}" ] || rm -f "$part"
