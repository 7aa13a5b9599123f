#!/usr/bin/env bash
# Drives the real Neovim (0.7.2 from Debian) against `recur serve` and checks what it got back.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
RECUR_BIN=${RECUR_BIN:-$PWD/.build/debug/recur}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export RECUR_BIN RECUR_OUT="$work/result.json" XDG_CONFIG_HOME="$work/config" XDG_DATA_HOME="$work/data" \
  XDG_STATE_HOME="$work/state" XDG_CACHE_HOME="$work/cache"
(cd "$work" && timeout 120 nvim --headless --clean -n -c "luafile $root/Tests/editors/nvim_lsp_smoke.lua" \
  >/dev/null 2>"$work/nvim.log") || true
python3 - "$RECUR_OUT" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r.get("ok"), r.get("error")
assert r["encoding"] == "utf-16", r["encoding"]
assert r["isIncomplete"] is True
assert r["items"], "no completion items"
for item in r["items"]:
    assert item["label"].startswith("se"), item
    assert item["range"]["start"] == {"line": 6, "character": 8}, item
    assert item["range"]["end"] == {"line": 6, "character": 10}, item
assert r["openDocuments"] == 1
assert r["buffer"][0] == "# fox 🦊 here"
print(f"nvim: 1 passed, 0 failed ({len(r['items'])} completion items, e.g. {r['items'][0]['label']!r})")
PY
