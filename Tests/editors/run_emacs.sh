#!/usr/bin/env bash
# Drives the real Emacs 28 with eglot (Debian's emacs-nox and elpa-eglot) against `recur serve`.
set -euo pipefail
cd "$(dirname "$0")/../.."
RECUR_BIN=${RECUR_BIN:-$PWD/.build/debug/recur} HOME=$(mktemp -d) \
  timeout 120 emacs --batch -Q -l Tests/editors/eglot_smoke.el 2>/dev/null
