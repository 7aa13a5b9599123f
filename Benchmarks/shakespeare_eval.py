#!/usr/bin/env python3
"""Scores a Recur model on Tiny Shakespeare's validation split (nanoGPT's: the last 10% of the bytes) in PyTorch,
two ways: the whole split as one stream with the state carried (what `recur eval --validation-split 0.1` reports),
and nanoGPT's way, non-overlapping 256-byte blocks each started from a zero state (so context is 0 to 255 bytes).

  python3 Benchmarks/shakespeare_eval.py MODEL.safetensors TINYSHAKESPEARE.txt [--block 256]
Loading the file in PyTorch also checks that Recur's weights are PyTorch's layout. Byte level: the file is ASCII,
so nats per byte are nats per character.
"""
import argparse
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Models", "torch"))
from recur_torch.data import split_point  # noqa: E402
from recur_torch.model import load_recur  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("text")
    ap.add_argument("--block", type=int, default=256)
    args = ap.parse_args()
    torch.set_num_threads(2)
    model, _ = load_recur(args.model)
    model.eval()
    data = open(args.text, "rb").read()
    cut = split_point(len(data), 0.1)
    val = torch.tensor(list(data[cut:]), dtype=torch.long)
    with torch.no_grad():
        # The whole split as one stream: every byte after the first, with the state carried.
        logits, _ = model(val[None, :-1])
        stream = torch.nn.functional.cross_entropy(logits[0], val[1:], reduction="sum").item() / (len(val) - 1)
        # nanoGPT: blocks of `block` inputs predicting the next `block` bytes, each from a zero state.
        blocks = (len(val) - 1) // args.block
        x = val[: blocks * args.block].reshape(blocks, args.block)
        y = val[1 : blocks * args.block + 1].reshape(blocks, args.block)
        logits, _ = model(x)
        windowed = torch.nn.functional.cross_entropy(logits.reshape(-1, 256), y.reshape(-1)).item()
    print(json.dumps({"model": args.model, "validation_bytes": len(val), "stream_nats_per_char": stream,
                      f"blocks_of_{args.block}_nats_per_char": windowed, "blocks": blocks,
                      "bits_per_char_stream": stream / math.log(2)}, indent=1))


if __name__ == "__main__":
    main()
