#!/usr/bin/env python3
"""Rewrites a safetensors model with its float32 tensors as float16 (the shipped model's storage), metadata kept.
numpy only:  python3 Models/to_half.py IN.safetensors OUT.safetensors"""
import json
import struct
import sys

import numpy as np


def main(src, dst):
    data = open(src, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    out_header, chunks, offset = {}, [], 0
    for name, info in header.items():
        if name == "__metadata__":
            out_header[name] = info
            continue
        start, end = info["data_offsets"]
        raw = body[start:end]
        dtype = info["dtype"]
        if dtype == "F32":
            values = np.frombuffer(raw, dtype="<f4")
            if np.abs(values).max(initial=0) > 65504:
                sys.exit(f"{name}: a value is out of float16's range")
            raw, dtype = values.astype("<f2").tobytes(), "F16"
        out_header[name] = {"dtype": dtype, "shape": info["shape"], "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(out_header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(dst, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))


if __name__ == "__main__":
    main(*sys.argv[1:3])
