#!/usr/bin/env bash
# Trains the default model (the recipe in Models/MODEL.md) on every file of ../shared/corpora/train, and only on
# those (their licences are checked; see the corpora's MANIFEST.md). Run it in the background:
#   VERSION=v3 nohup Models/train_default.sh > train.log 2>&1 &               (v3's first phase; MODEL.md gives
#                                                          the RESUME=1 STEPS=... warm restarts that extended it)
#   VERSION=v3-tune nohup Models/train_default.sh > tune.log 2>&1 &           (its second phase: the shipped model)
#   nohup Models/train_default.sh > train.log 2>&1 &                          (v2, the model shipped before it)
# It writes OUT (default: .build/default-VERSION.safetensors, the weights of the best validation pass),
# OUT.checkpoint (the last state, for --resume) and a loss plot beside it. If it stops, run the same command with
# RESUME=1 to go on, bit for bit, from the checkpoint (on this machine or another with the same binary).
#   env: VERSION (v2, v3 or v3-tune), CORPORA, RECUR, OUT, STEPS, THREADS, RESUME, INIT (v3-tune's start)
# v2: embedding 64, peak learning rate 2e-3, windows drawn in proportion to each file's bytes.
# v3: from the search's second round: embedding 128 and the domains mixed evenly (EVEN_MIX); peak 2e-3, since
# 4e-3, the best at 1,890 steps, diverged in the long schedule (MODEL.md).
# v3-tune: v3's second phase, from v3's best weights (INIT, default .build/default-v3.safetensors, float32): the
# domains mixed as TUNE_MIX (less prose), a new schedule at a peak of 5e-4, another seed.
set -euo pipefail
cd "$(dirname "$0")/.."
C=${CORPORA:-../shared/corpora/train}
RECUR=${RECUR:-.build/release/recur}
VERSION=${VERSION:-v2}
OUT=${OUT:-.build/default-$VERSION.safetensors}
THREADS=${THREADS:-2}
# shellcheck source=Models/domains.sh
source Models/domains.sh
[ "$(find "$C" -type f -name '*.txt' | wc -l)" -eq 65 ] || echo "warning: expected the 65 files of the corpora's MANIFEST" >&2
for f in $EVEN_MIX; do [ -f "$f" ] || { echo "missing corpus file: $f (Models/domains.sh)" >&2; exit 2; }; done
seed=1
EXTRA_ARGS=()
case "$VERSION" in
  v2) files=$(find "$C" -type f -name '*.txt' | LC_ALL=C sort); embedding=64; lr=2e-3; STEPS=${STEPS:-14000} ;;
  v3) files=$EVEN_MIX; embedding=128; lr=2e-3; STEPS=${STEPS:-20000} ;;
  v3-tune)
    files=$TUNE_MIX; embedding=128; lr=5e-4; STEPS=${STEPS:-8000}; seed=2
    INIT=${INIT:-.build/default-v3.safetensors}
    if [ -z "${RESUME:-}" ]; then  # a resumed run takes its weights from the checkpoint
      [ -f "$INIT" ] || { echo "v3-tune starts from v3's weights: $INIT is missing (VERSION=v3 first)" >&2; exit 2; }
      EXTRA_ARGS=(--init "$INIT")
    fi ;;
  *) echo "VERSION must be v2, v3 or v3-tune" >&2; exit 2 ;;
esac
[ -n "${RESUME:-}" ] && EXTRA_ARGS+=(--resume)
# shellcheck disable=SC2086
exec "$RECUR" train --corpus $files --strip-separators --cell gru --layers 2 --hidden 384 --embedding "$embedding" \
  --seq-len 100 --batch 32 --lr "$lr" --warmup 200 --min-lr-fraction 0.1 --decay cosine --steps "$STEPS" \
  --val-every 500 --val-windows 1024 --threads "$THREADS" --seed "$seed" --out "$OUT" \
  --plot "${OUT%.safetensors}-loss.svg" "${EXTRA_ARGS[@]}"
