#!/usr/bin/env python3
"""Training throughput: `recur train` beside the PyTorch trainer (Models/torch/train.py) on 1 and 2 ranks.

The same shapes for all (default: the default model's, GRU 2x384, embedding 64, 100-byte windows, batch 32), on
the same corpus. Each configuration runs twice, for --short and --long steps, and the throughput is the extra
bytes over the extra wall-clock time, so start-up, loading and the final validation cancel out. Ranks share the
machine's cores: 1 rank gets all --threads, 2 ranks (torchrun, gloo) get half each.

  .venv-torch/bin/python Benchmarks/torch_train_bench.py [--recur .build/release/recur] [--threads 2]
      [--device cpu|cuda] [--json]
"""
import argparse
import json
import os
import pathlib
import platform
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
TRAIN = ROOT / "Models" / "torch" / "train.py"


def cpu_name() -> str:
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def timed(command, env=None) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    return time.perf_counter() - start


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--recur", default=str(ROOT / ".build" / "release" / "recur"))
    ap.add_argument("--corpus", nargs="+", default=[str(p) for p in sorted((ROOT / "Sources").rglob("*.swift"))])
    ap.add_argument("--cell", default="gru")
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--hidden", type=int, default=384)
    ap.add_argument("--embedding", type=int, default=64)
    ap.add_argument("--seq-len", type=int, default=100)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--short", type=int, default=5)
    ap.add_argument("--long", type=int, default=35)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    shape = ["--cell", args.cell, "--layers", str(args.layers), "--hidden", str(args.hidden), "--embedding",
             str(args.embedding), "--seq-len", str(args.seq_len), "--batch", str(args.batch)]
    work = pathlib.Path(tempfile.mkdtemp(prefix="torch-bench-"))
    torchrun = str(pathlib.Path(sys.executable).with_name("torchrun"))

    def recur(steps):
        return [args.recur, "train", "--corpus", *args.corpus, *shape, "--steps", str(steps), "--threads",
                str(args.threads), "--val-every", str(steps), "--val-windows", "4", "--out", str(work / "r.safetensors")]

    def torch_run(ranks):
        def command(steps):
            threads = max(1, args.threads // ranks)
            tail = [str(TRAIN), "--corpus", *args.corpus, *shape, "--steps", str(steps), "--threads", str(threads),
                    "--val-every", str(steps), "--val-max-bytes", "200", "--device", args.device,
                    "--log-every", str(steps), "--out", str(work / f"t{ranks}.pt")]
            if ranks == 1:
                return [sys.executable, *tail]
            return [torchrun, "--nproc-per-node", str(ranks), "--master-port", "29611", *tail]
        return command

    configs = [("recur train", args.threads, recur)] if args.device == "cpu" else []
    configs += [(f"PyTorch, 1 rank ({args.device})", 1, torch_run(1))]
    if args.device == "cpu":
        configs += [("PyTorch DDP, 2 ranks (gloo)", 2, torch_run(2))]
    rows = []
    env = dict(os.environ, OMP_NUM_THREADS=str(max(1, args.threads // 2)))
    for name, _, command in configs:
        short = timed(command(args.short), env if "2 ranks" in name else None)
        long = timed(command(args.long), env if "2 ranks" in name else None)
        rate = (args.long - args.short) * args.batch * args.seq_len / (long - short)
        rows.append({"trainer": name, "bytes_per_s": rate})
    base = rows[0]["bytes_per_s"]
    result = {"cpu": cpu_name(), "threads": args.threads, "shape": " ".join(shape), "rows": rows}
    if args.json:
        print(json.dumps(result))
        return
    print(f"Training throughput on {result['cpu']}, {args.threads} threads in all; {' '.join(shape)}; "
          f"steps {args.long} minus {args.short}.\n")
    print(f"| trainer | bytes/s | vs {rows[0]['trainer']} |")
    print("|---|---:|---:|")
    for r in rows:
        print(f"| {r['trainer']} | {r['bytes_per_s']:,.0f} | {r['bytes_per_s'] / base:.2f}x |")


if __name__ == "__main__":
    main()
