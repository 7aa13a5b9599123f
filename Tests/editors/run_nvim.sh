#!/usr/bin/env bash
# Drives the real Neovim (0.7.2 from Debian) against `recur serve`: first its built-in client with no Recur glue
# (nvim_lsp_smoke.lua), then the plugin in Clients/nvim (nvim_plugin_test.lua).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
command -v nvim >/dev/null || { echo "nvim: FAILED: Neovim is not installed (apt-get install neovim)"; exit 1; }
RECUR_BIN=${RECUR_BIN:-$PWD/.build/debug/recur}
[ -x "$RECUR_BIN" ] || { echo "nvim: FAILED: RECUR_BIN=$RECUR_BIN is not an executable"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export RECUR_BIN RECUR_ROOT=$root XDG_CONFIG_HOME="$work/config" XDG_DATA_HOME="$work/data" \
  XDG_STATE_HOME="$work/state" XDG_CACHE_HOME="$work/cache" HOME="$work/home"
mkdir -p "$HOME" "$work/smoke" "$work/plugin"

# 1. The built-in client alone.
(cd "$work/smoke" && RECUR_OUT="$work/smoke.json" timeout 120 nvim --headless --clean -n \
  -c "luafile $root/Tests/editors/nvim_lsp_smoke.lua" >/dev/null 2>"$work/smoke.log") || true
python3 - "$work/smoke.json" <<'PY'
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
print(f"nvim built-in client: 1 passed, 0 failed ({len(r['items'])} completion items, e.g. {r['items'][0]['label']!r})")
PY

# 2. The plugin, typing in Insert mode.
(cd "$work/plugin" && RECUR_OUT="$work/plugin.json" timeout 600 nvim --headless --clean -n \
  -c "luafile $root/Tests/editors/nvim_plugin_test.lua" >/dev/null 2>"$work/plugin.log") || true
python3 - "$work/plugin.json" "$work/plugin.log" <<'PY'
import json, os, sys
try:
    r = json.load(open(sys.argv[1]))
except (OSError, ValueError) as e:
    sys.exit(f"nvim plugin: FAILED: no result ({e}); Neovim's stderr:\n" + open(sys.argv[2]).read())
failed = [c for c in r["checks"] if not c["ok"]]
for c in failed:
    print(f"nvim plugin: FAIL {c['name']}: {c['detail']}")
if os.environ.get("RECUR_VERBOSE"):  # every check with its detail
    for c in r["checks"]:
        print(f"  {'ok' if c['ok'] else 'FAIL'}  {c['name']}  {c['detail'][:300]}")
print(f"nvim plugin: {len(r['checks']) - len(failed)} passed, {len(failed)} failed")
sys.exit(1 if failed or not r.get("done") else 0)
PY
