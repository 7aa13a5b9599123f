#!/usr/bin/env python3
"""Merge recur-bench and pytorch_baseline.py JSON into the README's Markdown table.

usage: compare.py recur.json pytorch.json
Speed-up is PyTorch time / Recur time (or Recur rate / PyTorch rate): above 1 means Recur is faster.
"""
import json
import sys

ROWS = [
    # key, label, unit, lower is better, target for Recur (2-layer LSTM, H=256)
    ("step_b1_us", "one step at batch 1 (with next-byte distribution)", "µs", True, "≤ 25 µs"),
    ("prime_2000_ms", "priming 2,000 bytes", "ms", True, "≤ 50 ms"),
    ("sample_5x40_ms", "5 samples × 40 bytes", "ms", True, "≤ 4 ms"),
    ("train_bytes_per_s", "training bytes/s, batch 32, seq 100", "B/s", False, "≥ 1.3× PyTorch"),
]


def main():
    recur = json.load(open(sys.argv[1]))
    torch = json.load(open(sys.argv[2]))
    print(f"PyTorch {torch.get('torch')} ({torch.get('threads')} threads, oneDNN "
          f"{'on' if torch.get('mkldnn_enabled') else 'off'}) against Recur, same machine, same run; medians.\n")
    for hidden in sorted(recur["results"], key=int):
        r = recur["results"][hidden]
        t = torch["results"].get(hidden, {})
        print(f"2-layer LSTM, hidden {hidden}, embedding 64:\n")
        print("| measure | PyTorch | Recur | speed-up | target (H=256) |")
        print("|---|---:|---:|---:|---|")
        for key, label, unit, lower_better, target in ROWS:
            if key not in r or key not in t:
                continue
            ratio = t[key] / r[key] if lower_better else r[key] / t[key]
            fmt = "{:,.0f}" if unit == "B/s" else "{:,.1f}"
            print(f"| {label} | {fmt.format(t[key])} {unit} | {fmt.format(r[key])} {unit} | {ratio:.2f}× | {target} |")
        print()


if __name__ == "__main__":
    main()
