#!/usr/bin/env bash
# The side-by-side table of MODEL.md: what two models offer for the same prefixes (make run's, then 20 more across
# the domains), through the same `recur complete` as make run (8 samples at temperature 0.7, seed 1, the
# suggestion filter on), the three most probable of each; ␣ marks a space.
#   Models/side_by_side.sh OLD.safetensors NEW.safetensors   env: RECUR
set -euo pipefail
cd "$(dirname "$0")/.."
RECUR=${RECUR:-.build/release/recur}
OLD=$1 NEW=$2
prefixes=(
  # make run's
  "It is a truth universally acknowledged, that a single man in possession of a good for"
  "The quick brown fox jumps over the la"
  "def __init__(self"
  "import os.pa"
  "for i in ran"
  "public func "
  "let x = try JSONDecoder().dec"
  # prose
  "It was the best of times, it was the wor"
  "She looked at him for a moment, and then"
  "\"My dear,\" said his lady to him one day, \"have you heard that"
  "I have the honour to be, sir, your most obedient ser"
  "The door opened and a tall gentleman came into the ro"
  "After breakfast we walked down to the riv"
  # docs
  "The function returns a new list containing the ele"
  "See the documentation for more infor"
  "Use the \`--verbose\` flag to print more det"
  # Python
  "    def __repr__(self):\n        return "
  "if __name__ == \"__main__\":\n    "
  "        raise ValueError(\"invalid "
  "    for key, value in self.items():\n        "
  "from collections import "
  # Swift
  "    public init(from decoder: Decoder) throws {\n        let container = try decoder.con"
  "guard let value = value else { return ni"
  "extension Array where Element: Equa"
  "    func makeIterator() -> "
  "        XCTAssertEqual(result.co"
)
cell() {
  "$RECUR" complete --model "$1" --json --n 8 --temperature 0.7 --seed 1 "$2" 2>/dev/null | python3 -c '
import json, sys
items = json.load(sys.stdin)["completions"][:3]
print(", ".join("`%s` %.0f%%" % (json.dumps(c["text"])[1:-1].replace("|", "\\|").replace(" ", "␣"), 100 * c["probability"])
                for c in items) or "(none)")'
}
echo "| prefix | old model | new model |"
echo "|---|---|---|"
for p in "${prefixes[@]}"; do
  shown=$(printf '%s' "$p" | tail -c 60 | sed 's/|/\\|/g' | awk 'BEGIN{ORS="⏎"}1' | sed 's/⏎$//')
  printf '| `…%s` | %s | %s |\n' "$shown" "$(cell "$OLD" "$(printf "$p")")" "$(cell "$NEW" "$(printf "$p")")"
done
