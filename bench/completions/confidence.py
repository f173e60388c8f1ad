#!/usr/bin/env python3
"""Does a confidence measure predict acceptance (the completion is the exact rest of the line)?

  python3 bench/completions/confidence.py CORPUS_DIR RAW.jsonl [--tools DIR]

RAW.jsonl: `lstm-lens complete --threshold inf` answers to completion_bench.py's tasks (the
table.sh runs keep them, with "bits" = -log2 P(whole completion) and "mean_bits" per char).
Prints, for each measure, the AUC of ranking exact answers before the others (0.5 = no better
than chance), then for thresholds on bits: the share shown, the share of those that are exact
(precision), and how many of all the exact answers are kept."""
import argparse
import json
import os
import sys


def auc(rows):
    pos = [s for s, ok in rows if ok]
    neg = [s for s, ok in rows if not ok]
    if not pos or not neg:
        return float("nan")
    neg.sort()
    import bisect
    wins = 0.0
    for p in pos:   # lower score = surer: count the wrong answers it ranks before
        lo = bisect.bisect_left(neg, p)
        hi = bisect.bisect_right(neg, p)
        wins += (len(neg) - hi) + 0.5 * (hi - lo)
    return wins / (len(pos) * len(neg))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus_dir")
    ap.add_argument("raw")
    ap.add_argument("--tools", default=os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "bench-tools"))
    a = ap.parse_args()
    sys.path.insert(0, a.tools)
    import completion_bench
    tasks = {t["id"]: t for t in completion_bench.make_tasks(a.corpus_dir)[0]}
    rows = []
    for line in open(a.raw, encoding="utf-8"):
        if not line.strip():
            continue
        o = json.loads(line)
        if "bits" not in o:
            continue
        t = tasks[int(o["id"])]
        c = o["completion"].split("\n", 1)[0][: t["max_chars"]]
        rows.append({"bits": o["bits"], "mean_bits": o["mean_bits"], "chars": len(c), "exact": c == t["target"]})
    n, exact = len(rows), sum(r["exact"] for r in rows)
    print(f"{n} completions, {exact} exact ({100 * exact / max(1, len(tasks)):.1f}% of {len(tasks)} tasks)")
    for m in ("bits", "mean_bits", "chars"):
        print(f"  AUC of {m:9s} {auc([(r[m], r['exact']) for r in rows]):.3f}")
    for th in (0.5, 1, 2, 3, 4, 6, 8, 12):
        sel = [r for r in rows if r["bits"] <= th]
        if sel:
            kept = sum(r["exact"] for r in sel)
            print(f"  bits <= {th:4}: shown {len(sel) / n:.2f}  exact among shown {kept / len(sel):.2f}  "
                  f"exact kept {kept}/{exact}  mean length {sum(r['chars'] for r in sel) / len(sel):.1f}")


if __name__ == "__main__":
    main()
