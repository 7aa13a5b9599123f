#!/usr/bin/env bash
# The int8 quality guard (issue 14): held-out loss per domain in f32, f16 and int8, and greedy continuations of the
# embedded model compared byte for byte. Needs the training corpora (../shared/corpora/train) and a release build.
#   Models/precision_guard.sh [MODEL]   env: CORPORA, MAX_BYTES (per file, from the start of its held-out tail), OUT
set -euo pipefail
cd "$(dirname "$0")/.."
C=${CORPORA:-../shared/corpora/train}
RECUR=${RECUR:-.build/release/recur}
MAX_BYTES=${MAX_BYTES:-40000}
OUT=${OUT:-.build/precision-guard}
MODEL_ARGS=()
[ $# -ge 1 ] && MODEL_ARGS=(--model "$1")
mkdir -p "$OUT"

# shellcheck source=Models/domains.sh
source Models/domains.sh

for precision in int8 f16 f32; do
  for domain in prose docs python swift; do
    files=${domain^^}
    # shellcheck disable=SC2086
    "$RECUR" eval "${MODEL_ARGS[@]}" --precision "$precision" --json --validation-split 0.1 --strip-separators \
      --max-bytes "$MAX_BYTES" ${!files} > "$OUT/loss-$domain-$precision.json"
  done
done
PROMPTS=("It is a truth universally acknowledged" "def __init__(self" "public func " "The quick brown fox" \
  "import os" "Chapter 1")
for i in "${!PROMPTS[@]}"; do
  for precision in int8 f16 f32; do
    "$RECUR" generate "${MODEL_ARGS[@]}" --precision "$precision" --greedy --length 200 \
      --prompt "${PROMPTS[$i]}" > "$OUT/greedy-$i-$precision.txt"
  done
done

python3 - "$OUT" "${#PROMPTS[@]}" <<'PY'
import json, sys
out, prompts = sys.argv[1], int(sys.argv[2])
print("| domain | f32 nats/char | f16 | int8 | int8 against f32 |")
print("|---|---:|---:|---:|---:|")
worst = 0
for domain in ["prose", "docs", "python", "swift"]:
    loss = {p: json.load(open(f"{out}/loss-{domain}-{p}.json"))["total"]["nats_per_char"] for p in ["f32", "f16", "int8"]}
    change = 100 * (loss["int8"] / loss["f32"] - 1)
    worst = max(worst, change)
    print(f"| {domain} | {loss['f32']:.4f} | {loss['f16']:.4f} | {loss['int8']:.4f} | {change:+.2f}% |")
print(f"\nWorst int8 change: {worst:+.2f}% (guard: at most +0.3%): {'pass' if worst <= 0.3 else 'FAIL'}.")
same = 0
for i in range(prompts):
    text = {p: open(f"{out}/greedy-{i}-{p}.txt", "rb").read() for p in ["f32", "f16", "int8"]}
    common = next((j for j, (a, b) in enumerate(zip(text["f32"], text["int8"])) if a != b), min(len(text["f32"]), len(text["int8"])))
    same += common >= 200
    print(f"greedy {i}: int8 and f32 agree on the first {common} bytes; f16 and f32 on "
          f"{next((j for j, (a, b) in enumerate(zip(text['f32'], text['f16'])) if a != b), len(text['f32']))}")
print(f"Greedy text identical on the first 200 bytes for {same} of {prompts} prompts.")
PY
