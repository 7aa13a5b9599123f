#!/usr/bin/env python3
"""Where a training step's time goes: `perf record` over `recur-bench --only train`, samples grouped by symbol.

usage: profile_training.py [--hidden 256] [--env NAME=VALUE ...]   (RECUR_SGEMM=blas gives the BLAS products)
Needs Linux perf and a release build of recur-bench. Prints a Markdown row per group: products (the multiply-add
kernels), packing and copies for the products, pointwise (cells, exp/sigmoid/tanh, softmax), and other.
"""
import argparse
import os
import pathlib
import re
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
GROUPS = [
    ("products", re.compile(r"^(tile512|tile256|sgemm_kernel|dgemm_kernel|sgemv|gemm_blocks|bli_.*ukr)")),
    ("packing and copies for the products",
     re.compile(r"^(recur_sgemm|pack_a|recur_transpose|sgemm_.*copy|sgemm_beta|__memmove|__memcpy|__memset)")),
    ("pointwise (cells, exp, sigmoid, tanh, softmax)",
     re.compile(r"(recur_lstm|recur_gru|recur_sigmoid|recur_tanh|recur_exp|__expf|VectorMath|CellMath|Softmax|"
                r"crossEntropy|KernelScalar.*exp)")),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hidden", default="256")
    ap.add_argument("--env", action="append", default=[])
    ap.add_argument("--bench", default=str(ROOT / ".build/release/recur-bench"))
    args = ap.parse_args()
    env = dict(os.environ, **dict(e.split("=", 1) for e in args.env))
    with tempfile.TemporaryDirectory() as tmp:
        data = f"{tmp}/perf.data"
        subprocess.run(["perf", "record", "-q", "-o", data, args.bench, "--hidden", args.hidden, "--only", "train",
                        "--repeats", "3"], env=env, check=True, stdout=subprocess.DEVNULL)
        report = subprocess.run(["perf", "report", "-i", data, "--no-children", "--sort", "symbol", "--stdio"],
                                capture_output=True, text=True, check=True).stdout
    shares = {name: 0.0 for name, _ in GROUPS}
    shares["other"] = 0.0
    for line in report.splitlines():
        m = re.match(r"\s*([0-9.]+)%\s+\[[.k]\]\s+(\S+)", line)
        if not m:
            continue
        share, symbol = float(m.group(1)), m.group(2)
        group = next((name for name, pattern in GROUPS if pattern.search(symbol)), "other")
        shares[group] += share
    for name, share in shares.items():
        print(f"| {name} | {share:.1f}% |")


if __name__ == "__main__":
    sys.exit(main())
