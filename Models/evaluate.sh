#!/usr/bin/env bash
# Reproduces the default model's results table in the README: held-out loss per domain against a character 5-gram
# trained on the same training split, and keystroke savings against both baselines.
# Needs the training corpora (../shared/corpora/train, not part of the repository) and a release build.
#   Models/evaluate.sh [MODEL]   (default: the embedded model)   env: CORPORA, KSR_BYTES, LOSS_BYTES, OUT
# Loss: the whole held-out tail of every file of each domain (LOSS_BYTES: only the first so many bytes of each).
# Keystroke savings: the first KSR_BYTES of the tails of the domain's *_KSR files (Models/domains.sh), with the
# completion list (top 3) and with ghost text (the daemon's inline completion, cut at INLINE_MIN_P, default 0.2).
set -euo pipefail
cd "$(dirname "$0")/.."
C=${CORPORA:-../shared/corpora/train}
RECUR=${RECUR:-.build/release/recur}
KSR_BYTES=${KSR_BYTES:-4000}
INLINE_MIN_P=${INLINE_MIN_P:-0.2}
LOSS_ARGS=()
[ -n "${LOSS_BYTES:-}" ] && LOSS_ARGS=(--max-bytes "$LOSS_BYTES")
OUT=${OUT:-.build/evaluate}
MODEL_ARGS=()
[ $# -ge 1 ] && MODEL_ARGS=(--model "$1")
mkdir -p "$OUT"

# shellcheck source=Models/domains.sh
source Models/domains.sh
ALL="$PROSE $DOCS $PYTHON $SWIFT"

for domain in prose docs python swift; do
  files=${domain^^}
  ksr_files=${files}_KSR
  # shellcheck disable=SC2086
  "$RECUR" eval "${MODEL_ARGS[@]}" "${LOSS_ARGS[@]}" --json --validation-split 0.1 --strip-separators ${!files} \
    --baseline-corpus $ALL > "$OUT/loss-$domain.json"
  # shellcheck disable=SC2086
  "$RECUR" eval "${MODEL_ARGS[@]}" --ksr --json --top 3 --validation-split 0.1 --strip-separators \
    --max-bytes "$KSR_BYTES" ${!ksr_files} --baseline-corpus $ALL > "$OUT/ksr-$domain.json"
  # shellcheck disable=SC2086
  "$RECUR" eval "${MODEL_ARGS[@]}" --ksr --inline --inline-min-probability "$INLINE_MIN_P" --json \
    --validation-split 0.1 --strip-separators --max-bytes "$KSR_BYTES" ${!ksr_files} > "$OUT/inline-$domain.json"
done

python3 - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
print("| domain | Recur nats/char | 5-gram nats/char | KSR Recur | KSR buffer words | KSR 5-gram | ms/request |")
print("|---|---:|---:|---:|---:|---:|---:|")
for domain in ["prose", "docs", "python", "swift"]:
    loss = json.load(open(f"{out}/loss-{domain}.json"))["total"]
    files = json.load(open(f"{out}/ksr-{domain}.json"))["files"]
    def savings(key):
        w = sum(f[key]["keystrokesWith"] for f in files)
        wo = sum(f[key]["keystrokesWithout"] for f in files)
        return 100 * (1 - w / wo)
    requests = sum(f["recur"]["completionRequests"] for f in files)
    ms = sum(f["recur"]["totalLatencySeconds"] for f in files) / max(requests, 1) * 1000
    print(f"| {domain} | {loss['nats_per_char']:.3f} | {loss['baseline_nats_per_char']:.3f} | "
          f"{savings('recur'):.1f}% | {savings('buffer_words'):.1f}% | {savings('ngram'):.1f}% | {ms:.2f} |")

print()
print("| domain | ghost text KSR | shown | taken | right when shown | characters per take | ms/request |")
print("|---|---:|---:|---:|---:|---:|---:|")
for domain in ["prose", "docs", "python", "swift"]:
    runs = [f["recur_inline"] for f in json.load(open(f"{out}/inline-{domain}.json"))]
    total = {k: sum(r[k] for r in runs) for k in runs[0]}
    print(f"| {domain} | {100 * (1 - total['keystrokesWith'] / total['keystrokesWithout']):.1f}% | "
          f"{total['shown']} | {total['accepted']} | {100 * total['accepted'] / max(total['shown'], 1):.1f}% | "
          f"{total['acceptedCharacters'] / max(total['accepted'], 1):.1f} | "
          f"{1000 * total['totalLatencySeconds'] / max(total['completionRequests'], 1):.2f} |")
PY
