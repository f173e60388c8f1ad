#!/bin/sh
# Rest-of-line completion on the held-out corpora (bench/completions/README.md): the greedy KN
# 10-gram baseline beside `lstm-lens complete` with the n-gram component alone and the mixture.
#   sh bench/completions/table.sh [LANGS] [BEFORE_CLI]      (LANGS default "ts c py")
# HELDOUT (default bench/results/heldout) holds the corpora; CLI (default dist/cli.js) is the build
# measured; MODEL_DIR (default bench/results/heldout/runs15) holds LANG.safetensors and
# LANG.ngram.bin; BEFORE_CLI (optional) is another build's cli.js, run at its defaults for a
# before/after table (e.g. main's, built into a temporary folder). Each command answers with every
# completion shown (--threshold inf: what the decoder finishes the line with); the row "@3" is the
# same answers at the default threshold of 3 bits ("" where a completion's bits exceed it: exactly
# what the CLI answers at its default, as one decode gives both), with the share it shows.
# Per-task answers (with their bits) go to bench/results/completions/; one JSON line per row is
# appended to bench/results/completions/table.jsonl.
set -eu
LANGS=${1:-"ts c py"}
BEFORE=${2:-}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
H=${HELDOUT:-$ROOT/bench/results/heldout}
TOOLS=${BENCH_TOOLS:-$ROOT/../shared/bench-tools}
MODEL_DIR=${MODEL_DIR:-$H/runs15}
OUT=$ROOT/bench/results/completions
mkdir -p "$OUT"
CLI=${CLI:-$ROOT/dist/cli.js}

THRESHOLD=${THRESHOLD:-3}

row() {   # row LABEL LANG CMD: the benchmark of CMD, and of its answers cut at THRESHOLD bits
  label=$1; lang=$2; cmd=$3
  raw=$OUT/$lang-$label.raw.jsonl
  nice python3 "$TOOLS/completion_bench.py" run "$H/$lang" --cmd "$cmd | tee $raw" --json "$OUT/$lang-$label.json" > "$OUT/$lang-$label.txt"
  python3 - "$TOOLS" "$H/$lang" "$raw" "$label" "$lang" "$THRESHOLD" <<'PY' | tee -a "$OUT/table.jsonl"
import json, sys
tools, corpus, raw, label, lang, th = sys.argv[1:]
sys.path.insert(0, tools)
import completion_bench as cb
tasks, _ = cb.make_tasks(corpus)
answers = [json.loads(l) for l in open(raw) if l.strip()]
def line(run, comps):
    s = cb.score(tasks, comps)[0]["all"]
    shown = sum(1 for c in comps.values() if c) / len(tasks)
    print(json.dumps({"lang": lang, "run": run, "exact": round(s["exact"], 4), "mean_lcp": round(s["mean_lcp"], 3), "shown": round(shown, 3)}))
line(label, {int(o["id"]): o["completion"] for o in answers})
if any("bits" in o for o in answers):
    line(f"{label}@{th}", {int(o["id"]): (o["completion"] if o.get("bits", 0) <= float(th) else "") for o in answers})
PY
}

for lang in $LANGS; do
  m=$MODEL_DIR/$lang.safetensors
  row kn10 "$lang" "python3 $TOOLS/ngram_kn.py serve $H/$lang --order 10 --adaptive"
  for comp in ngram mixture; do
    row "$comp" "$lang" "node $CLI complete --model $m --component $comp --threshold inf"
    if [ -n "$BEFORE" ]; then row "$comp-before" "$lang" "node $BEFORE complete --model $m --component $comp"; fi
  done
done
