#!/usr/bin/env bash
# Drives the real Emacs 28 with eglot (Debian's emacs-nox, elpa-eglot, elpa-company) against `recur serve`:
# first eglot alone with no Recur glue (eglot_smoke.el), then Clients/emacs/recur.el (recur_el_test.el, ERT).
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v emacs >/dev/null || { echo "emacs: FAILED: Emacs is not installed (apt-get install emacs-nox elpa-eglot)"; exit 1; }
ls -d /usr/share/emacs/site-lisp/elpa/company-* >/dev/null 2>&1 ||
  { echo "emacs: FAILED: company is not installed (apt-get install elpa-company)"; exit 1; }
RECUR_BIN=${RECUR_BIN:-$PWD/.build/debug/recur}
[ -x "$RECUR_BIN" ] || { echo "emacs: FAILED: RECUR_BIN=$RECUR_BIN is not an executable"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export RECUR_BIN RECUR_ROOT=$PWD HOME=$work XDG_DATA_HOME=$work/data XDG_CONFIG_HOME=$work/config

timeout 120 emacs --batch -Q -l Tests/editors/eglot_smoke.el 2>/dev/null

if ! timeout 600 emacs --batch -Q -l Tests/editors/recur_el_test.el -f ert-run-tests-batch-and-exit \
    >"$work/ert.log" 2>&1; then
  cat "$work/ert.log"
  echo "emacs recur.el: FAILED"
  exit 1
fi
summary=$(grep -E '^Ran [0-9]+ tests' "$work/ert.log")
echo "emacs recur.el: $summary"
