#!/usr/bin/env bash
# One candidate of the compute-matched search in Models/MODEL.md: the default recipe (Models/train_default.sh) on
# all of ../shared/corpora/train, one thread, a fixed step budget (the steps GRU 2×384 ran in 18 minutes of one
# core), with one setting changed, or several joined with '+'. Then the held-out loss per domain (the first
# EVAL_BYTES of every file's tail).
#   Models/search.sh NAME      NAME: baseline, or changes joined with '+' (embedding-128+lr-4e-3) from:
#                              embedding-32, embedding-128, embedding-256, dropout-0.1, lr-4e-3, constant-lr,
#                              domains-even
#   env: CORPORA, RECUR, STEPS (1890), EVAL_BYTES (20000), OUT (.build/search)
# Writes OUT/NAME.safetensors, OUT/NAME.log (the trainer's progress) and OUT/NAME-domains.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
C=${CORPORA:-../shared/corpora/train}
RECUR=${RECUR:-.build/release/recur}
STEPS=${STEPS:-1890}
EVAL_BYTES=${EVAL_BYTES:-20000}
OUT=${OUT:-.build/search}
NAME=${1:?usage: Models/search.sh NAME}
mkdir -p "$OUT"
# shellcheck source=Models/domains.sh
source Models/domains.sh

corpus="$PROSE $DOCS $PYTHON $SWIFT"
extra=()
IFS=+ read -ra changes <<< "$NAME"
for change in "${changes[@]}"; do
  case "$change" in
    baseline) ;;
    embedding-32) extra+=(--embedding 32) ;;
    embedding-128) extra+=(--embedding 128) ;;
    embedding-256) extra+=(--embedding 256) ;;
    dropout-0.1) extra+=(--dropout 0.1 --output-dropout 0.1) ;;
    lr-4e-3) extra+=(--lr 4e-3) ;;
    constant-lr) extra+=(--decay constant) ;;
    # The trainer's validation then counts the repeated files as often too: compare this candidate by the
    # per-domain losses, not by the trainer's figure.
    domains-even) corpus=$EVEN_MIX ;;
    *) echo "unknown change: $change" >&2; exit 2 ;;
  esac
done

# The changes come after the recipe's settings: the last value of an option wins.
# shellcheck disable=SC2086
"$RECUR" train --corpus $corpus --strip-separators --cell gru --layers 2 --hidden 384 --embedding 64 \
  --seq-len 100 --batch 32 --lr 2e-3 --warmup 200 --min-lr-fraction 0.1 --decay cosine --steps "$STEPS" \
  --val-every 500 --val-windows 512 --threads 1 --seed 1 "${extra[@]}" --out "$OUT/$NAME.safetensors" \
  > "$OUT/$NAME.log" 2>&1

for domain in prose docs python swift; do
  files=${domain^^}
  # shellcheck disable=SC2086
  loss=$("$RECUR" eval --model "$OUT/$NAME.safetensors" --max-bytes "$EVAL_BYTES" --json --validation-split 0.1 \
    --strip-separators ${!files} | python3 -c 'import json, sys; print(json.load(sys.stdin)["total"]["nats_per_char"])')
  echo "$domain $loss"
done > "$OUT/$NAME-domains.txt"
