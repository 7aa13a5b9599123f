#!/usr/bin/env bash
# Trains the default model (the recipe in Models/MODEL.md) on every file of ../shared/corpora/train, and only on
# those (their licences are checked; see the corpora's MANIFEST.md). Run it in the background:
#   nohup Models/train_default.sh > train.log 2>&1 &
# It writes OUT (default: .build/default-v2.safetensors, the weights of the best validation pass),
# OUT.checkpoint (the last state, for --resume) and a loss plot beside it. If it stops, run the same command with
# RESUME=1 to go on, bit for bit, from the checkpoint (on this machine or another with the same binary).
#   env: CORPORA, RECUR, OUT, STEPS, THREADS, RESUME
set -euo pipefail
cd "$(dirname "$0")/.."
C=${CORPORA:-../shared/corpora/train}
RECUR=${RECUR:-.build/release/recur}
OUT=${OUT:-.build/default-v2.safetensors}
STEPS=${STEPS:-14000}
THREADS=${THREADS:-2}
files=$(find "$C" -type f -name '*.txt' | LC_ALL=C sort)
[ "$(echo "$files" | wc -l)" -eq 65 ] || echo "warning: expected the 65 files of the corpora's MANIFEST" >&2
RESUME_ARGS=()
[ -n "${RESUME:-}" ] && RESUME_ARGS=(--resume)
# shellcheck disable=SC2086
exec "$RECUR" train --corpus $files --strip-separators --cell gru --layers 2 --hidden 384 --embedding 64 \
  --seq-len 100 --batch 32 --lr 2e-3 --warmup 200 --min-lr-fraction 0.1 --decay cosine --steps "$STEPS" \
  --val-every 500 --val-windows 1024 --threads "$THREADS" --seed 1 --out "$OUT" --plot "${OUT%.safetensors}-loss.svg" \
  "${RESUME_ARGS[@]}"
