#!/usr/bin/env python3
"""Completes every line of a file: for each non-empty line, Recur's guesses for how the line goes on after its
first half, beside what the file really says.

    python3 complete_lines.py FILE [--n 3] [--seed 1]
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from recur_client import RecurClient, RecurError  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--n", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--recur", help="the recur binary (default: $RECUR_BIN, then recur on PATH)")
    args = parser.parse_args()
    with open(args.file, encoding="utf-8") as f:
        lines = f.read().split("\n")
    try:
        with RecurClient(binary=args.recur) as recur:
            for number, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                cut = max(1, len(line) // 2)
                completions = recur.complete_at(args.file, number, cut + 1, n=args.n, stop="line",
                                                seed=args.seed)
                guesses = " | ".join(c.text for c in completions) or "(none)"
                print(f"{number}: {line[:cut]}⟨{line[cut:]}⟩ → {guesses}")
    except (RecurError, OSError) as error:
        print(f"complete_lines: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
