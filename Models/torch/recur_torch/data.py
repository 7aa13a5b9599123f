"""Corpora as `recur train` splits them, read as contiguous byte streams for truncated BPTT.

Each file is split as Recur's `Corpus` splits it: the first part trains, the last `val_fraction` (rounded to
the nearest byte) validates, so `recur eval --validation-split F` scores exactly the bytes validated here. The
training parts are memory-mapped and read as one virtual stream, cut into `streams` equal contiguous shards. A
step reads the next `seq_len + 1` bytes of every shard; the state is carried from one window to the next and
reset when the shards wrap around (a new pass). The data order is a function of the step alone, so a resumed run
reads what the uninterrupted run would have read, and it is the same for any number of ranks that share the
global batch: stream j is rank j // (batch / world)'s stream j % (batch / world).
"""
from __future__ import annotations

import bisect
import math
import os

import numpy as np

SEPARATOR_PREFIXES = ("// ==== FILE: ", "# ==== FILE: ", "<!-- ==== FILE: ", ".. ==== FILE: ")


def _is_separator(line: bytes) -> bool:
    if len(line) >= 4096:
        return False
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return text.startswith(SEPARATOR_PREFIXES) and (text.endswith(" ====") or text.endswith(" ==== -->"))


def strip_separators(data: bytes) -> bytes:
    """Removes the `==== FILE: ... ====` lines of concatenated corpora, as `recur train --strip-separators` does."""
    lines = data.split(b"\n")
    out = []
    for i, line in enumerate(lines):
        if not _is_separator(line):
            out.append(line + b"\n" if i < len(lines) - 1 else line)
    return b"".join(out)


def split_point(size: int, val_fraction: float) -> int:
    """Where the validation tail starts: Swift's `(size · fraction).rounded()` (halves away from zero)."""
    fraction = min(max(val_fraction, 0.0), 0.9)
    return size - int(math.floor(size * fraction + 0.5))


def corpus_files(paths: list[str]) -> list[str]:
    """The files named, with directories replaced by the files under them, in byte order of their paths."""
    files = []
    for path in paths:
        if os.path.isdir(path):
            found = [os.path.join(d, f) for d, _, names in os.walk(path) for f in names]
            files.extend(sorted(found, key=lambda p: p.encode()))
        elif os.path.isfile(path):
            files.append(path)
        else:
            raise FileNotFoundError(f"no such corpus file or folder: {path}")
    if not files:
        raise ValueError("the corpus is empty: name at least one text file")
    return files


class Corpus:
    def __init__(self, paths: list[str], val_fraction: float = 0.1, strip: bool = False):
        self.files = corpus_files(paths)
        self.train: list[np.ndarray] = []
        self.validation: list[tuple[str, np.ndarray]] = []
        for path in self.files:
            if os.path.getsize(path) == 0:
                continue
            if strip:
                with open(path, "rb") as f:
                    data = np.frombuffer(strip_separators(f.read()), dtype=np.uint8)
            else:
                data = np.memmap(path, dtype=np.uint8, mode="r")
            if len(data) == 0:
                continue
            cut = split_point(len(data), val_fraction)
            self.train.append(data[:cut])
            self.validation.append((path, data[cut:]))
        if not self.train:
            raise ValueError("the corpus is empty: every file named is empty")
        self.offsets = [0]
        for part in self.train:
            self.offsets.append(self.offsets[-1] + len(part))

    @property
    def train_bytes(self) -> int:
        return self.offsets[-1]

    @property
    def validation_bytes(self) -> int:
        return sum(len(v) for _, v in self.validation)

    def read(self, start: int, length: int) -> np.ndarray:
        """`length` bytes of the training stream from `start`, across file boundaries."""
        out = np.empty(length, dtype=np.uint8)
        filled = 0
        part = bisect.bisect_right(self.offsets, start) - 1
        at = start - self.offsets[part]
        while filled < length:
            piece = self.train[part][at:at + length - filled]
            out[filled:filled + len(piece)] = piece
            filled += len(piece)
            part, at = part + 1, 0
        return out


class Streams:
    """`streams` contiguous shards of the training stream, read `seq_len + 1` bytes at a time."""

    def __init__(self, corpus: Corpus, streams: int, seq_len: int):
        self.corpus = corpus
        self.seq_len = seq_len
        self.shard = corpus.train_bytes // streams
        if self.shard < seq_len + 1:
            raise ValueError(f"{corpus.train_bytes} training bytes cannot make {streams} streams of at least "
                             f"{seq_len + 1} bytes: use a smaller --batch or --seq-len, or more text")
        self.windows_per_pass = (self.shard - 1) // seq_len

    def starts_pass(self, step: int) -> bool:
        """Whether `step` reads the first window of a pass (the carried state must be reset)."""
        return step % self.windows_per_pass == 0

    def window(self, step: int, streams: range) -> np.ndarray:
        """(len(streams), seq_len + 1) bytes: inputs are [:, :-1], targets [:, 1:]."""
        at = (step % self.windows_per_pass) * self.seq_len
        return np.stack([self.corpus.read(j * self.shard + at, self.seq_len + 1) for j in streams])
