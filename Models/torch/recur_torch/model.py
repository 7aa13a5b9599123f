"""Recur's model in PyTorch: byte embedding, an LSTM, GRU or tanh-RNN stack, a linear head.

The module's `state_dict` is Recur's file layout (`embedding.weight`, `rnn.weight_ih_l0`, ..., `head.weight`,
`head.bias`), so export and import copy tensors one to one. The metadata keys are Recur's: `format=recur-charlm`,
`version=1`, `cell`, `layers`, `hidden`, `embedding`, `vocab`, and free-form keys beside them.
"""
from __future__ import annotations

import json
import os
import struct
from dataclasses import dataclass

import torch
from torch import nn

VOCAB = 256
FORMAT = "recur-charlm"
VERSION = "1"
CELLS = {"lstm": (nn.LSTM, 4), "gru": (nn.GRU, 3), "rnn": (nn.RNN, 1)}
ARCHITECTURE_KEYS = {"format", "version", "cell", "layers", "hidden", "embedding", "vocab"}
# Recur refuses weights beyond float16's range (LanguageModel.largestWeight).
LARGEST_WEIGHT = 65504.0


class ModelFileError(Exception):
    """A model file that is not a Recur model, with what is wrong and what to do."""


@dataclass(frozen=True)
class Config:
    cell: str = "gru"
    layers: int = 2
    hidden: int = 384
    embedding: int = 64
    vocab: int = VOCAB

    def metadata(self) -> dict[str, str]:
        return {"format": FORMAT, "version": VERSION, "cell": self.cell, "layers": str(self.layers),
                "hidden": str(self.hidden), "embedding": str(self.embedding), "vocab": str(self.vocab)}


class CharLM(nn.Module):
    """Recur's architecture. `dropout` acts between recurrent layers, `output_dropout` on the top layer's output
    before the head (not in the recurrence), as `recur train --dropout --output-dropout` do."""

    def __init__(self, config: Config, dropout: float = 0.0, output_dropout: float = 0.0):
        super().__init__()
        if config.cell not in CELLS:
            raise ValueError(f"unknown cell '{config.cell}': lstm, gru or rnn")
        self.config = config
        self.embedding = nn.Embedding(config.vocab, config.embedding)
        rnn_class, _ = CELLS[config.cell]
        self.rnn = rnn_class(config.embedding, config.hidden, config.layers, batch_first=True,
                             dropout=dropout if config.layers > 1 else 0.0)
        self.output_dropout = nn.Dropout(output_dropout)
        self.head = nn.Linear(config.hidden, config.vocab)

    def zero_state(self, batch: int, device=None):
        c = self.config
        h = torch.zeros(c.layers, batch, c.hidden, device=device)
        return (h, torch.zeros_like(h)) if c.cell == "lstm" else h

    def forward(self, x: torch.Tensor, state=None):
        """Logits after each byte of `x` (batch, time) and the state after the last one."""
        out, state = self.rnn(self.embedding(x), state)
        return self.head(self.output_dropout(out)), state

    def first_logits(self, state, batch: int):
        """The logits before the first byte: the head applied to the top layer's h of `state` (zeros when None)."""
        if state is None:
            top = torch.zeros(batch, self.config.hidden, device=self.head.weight.device)
        else:
            h = state[0] if isinstance(state, tuple) else state
            top = h[-1]
        return self.head(top)


def detach_state(state):
    if state is None:
        return None
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


# ---- safetensors files ---------------------------------------------------------------------------------------

def _read_header(path: str) -> tuple[dict, int]:
    """The JSON header of a safetensors file and the file's size, with clear errors for foreign or cut files."""
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            prefix = f.read(8)
            if prefix.startswith(b"PK\x03\x04"):
                raise ModelFileError(f"{path} is a PyTorch zip archive (a train.py checkpoint?), not a Recur "
                                     "model: continue a checkpoint with --resume --out, or export it first")
            if len(prefix) < 8:
                raise ModelFileError(f"{path} is not a safetensors file: it has only {size} bytes")
            (length,) = struct.unpack("<Q", prefix)
            if length > size - 8 or length > 100_000_000:
                raise ModelFileError(f"{path} is not a safetensors file (or is cut short): its header claims "
                                     f"{length} bytes in a {size}-byte file")
            raw = f.read(length)
    except OSError as e:
        raise ModelFileError(f"cannot read model file {path}: {e.strerror or e}") from None
    try:
        header = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ModelFileError(f"{path} is not a safetensors file: its header is not JSON ({e})") from None
    if not isinstance(header, dict):
        raise ModelFileError(f"{path} is not a safetensors file: its header is not a JSON object")
    end = 8 + length
    for name, info in header.items():
        if name == "__metadata__":
            continue
        offsets = info.get("data_offsets") if isinstance(info, dict) else None
        if not (isinstance(offsets, list) and len(offsets) == 2 and end + offsets[1] <= size):
            raise ModelFileError(f"{path} is cut short or corrupt: tensor '{name}' lies beyond the file's end")
    return header, size


def read_safetensors(path: str) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """All tensors (as float32) and the metadata of a safetensors file."""
    from safetensors import safe_open

    header, _ = _read_header(path)
    try:
        with safe_open(path, framework="pt") as f:
            tensors = {name: f.get_tensor(name).float() for name in f.keys()}
    except Exception as e:  # the library's own errors for what the header check let through
        raise ModelFileError(f"{path} is not a valid safetensors file: {e}") from None
    return tensors, dict(header.get("__metadata__") or {})


def architecture(tensors: dict[str, torch.Tensor], metadata: dict[str, str], path: str) -> Config:
    """Recur's rules (`LanguageModel.architecture(of:)`): the shapes decide, and the metadata may only confirm them."""
    fmt = metadata.get("format")
    if fmt is not None and fmt != FORMAT:
        raise ModelFileError(f"{path}: metadata format is '{fmt}', expected '{FORMAT}' (not a Recur model)")
    if metadata.get("version", VERSION) != VERSION:
        raise ModelFileError(f"{path}: metadata version {metadata['version']} is newer than this script "
                             f"understands ({VERSION})")
    for name in ("embedding.weight", "rnn.weight_hh_l0"):
        if name not in tensors:
            raise ModelFileError(f"{path} has no tensor '{name}': a Recur model holds embedding.weight, rnn.* for "
                                 "every layer, head.weight and head.bias (is it a Recur or recur_torch export?)")
    emb, hh0 = tensors["embedding.weight"].shape, tensors["rnn.weight_hh_l0"].shape
    if len(emb) != 2 or len(hh0) != 2 or hh0[1] == 0:
        raise ModelFileError(f"{path}: embedding.weight must be [V, E] and rnn.weight_hh_l0 [G*H, H]")
    hidden = hh0[1]
    head = tensors.get("head.weight")
    if head is not None and head.dim() == 2 and head.shape[1] > 0:
        hidden = head.shape[1]
    gates = {4: "lstm", 3: "gru", 1: "rnn"}
    if hh0[0] % hidden or hh0[0] // hidden not in gates:
        raise ModelFileError(f"{path}: rnn.weight_hh_l0 has {hh0[0]} rows, not 4, 3 or 1 times H={hidden}")
    cell = metadata.get("cell", gates[hh0[0] // hidden])
    if cell not in CELLS:
        raise ModelFileError(f"{path}: unknown cell '{cell}' in the metadata")
    layers = 0
    while f"rnn.weight_ih_l{layers}" in tensors:
        layers += 1
    config = Config(cell=cell, layers=layers, hidden=hidden, embedding=emb[1], vocab=emb[0])
    for key in ("layers", "hidden", "embedding", "vocab"):
        if key in metadata and metadata[key] != str(getattr(config, key)):
            raise ModelFileError(f"{path}: metadata {key}={metadata[key]} contradicts the tensors, which give "
                                 f"{getattr(config, key)}")
    if config.vocab != VOCAB:
        raise ModelFileError(f"{path}: vocabulary of {config.vocab}; Recur models are byte-level ({VOCAB})")
    if layers < 1:
        raise ModelFileError(f"{path}: no recurrent layers (rnn.weight_ih_l0 is missing)")
    return config


def load_recur(path: str, dropout: float = 0.0, output_dropout: float = 0.0) -> tuple[CharLM, dict[str, str]]:
    """A model from a Recur safetensors file (a model, or a `recur train` checkpoint), and its free metadata."""
    tensors, metadata = read_safetensors(path)
    config = architecture(tensors, metadata, path)
    model = CharLM(config, dropout=dropout, output_dropout=output_dropout)
    expected = model.state_dict()
    for name, target in expected.items():
        if name not in tensors:
            raise ModelFileError(f"{path} has no tensor '{name}', which a {config.cell} {config.layers}x"
                                 f"{config.hidden} model needs")
        if tuple(tensors[name].shape) != tuple(target.shape):
            raise ModelFileError(f"{path}: tensor '{name}' has shape {list(tensors[name].shape)} but the "
                                 f"architecture needs {list(target.shape)}")
        if not torch.isfinite(tensors[name]).all():
            raise ModelFileError(f"{path}: tensor '{name}' holds NaN or infinite values")
        if tensors[name].abs().max() > LARGEST_WEIGHT:
            raise ModelFileError(f"{path}: tensor '{name}' holds values beyond +-{LARGEST_WEIGHT:.0f}: corrupt")
    for name in tensors:
        # `recur train` checkpoints carry Adam's moments as optimizer.* tensors, and the best weights.
        if name not in expected and not name.startswith(("optimizer.", "best.")):
            raise ModelFileError(f"{path}: unexpected tensor '{name}' (Recur models are embedding + one "
                                 "LSTM/GRU/RNN + head)")
    model.load_state_dict({name: tensors[name] for name in expected})
    extra = {k: v for k, v in metadata.items() if k not in ARCHITECTURE_KEYS and k != "trainer_state"}
    return model, extra


def save_recur(model: CharLM, path: str, half: bool = False, metadata: dict[str, str] | None = None) -> None:
    """Writes `model` as a Recur model file, atomically (a temporary file, then a rename)."""
    from safetensors.torch import save_file

    dtype = torch.float16 if half else torch.float32
    tensors = {name: t.detach().to("cpu", dtype).contiguous() for name, t in model.state_dict().items()}
    if half:
        for name, t in tensors.items():
            if not torch.isfinite(t).all():
                raise ValueError(f"tensor '{name}' overflows float16; export without --half")
    meta = {k: str(v) for k, v in (metadata or {}).items()}
    meta.update(model.config.metadata())
    tmp = f"{path}.tmp-{os.getpid()}"
    save_file(tensors, tmp, metadata=meta)
    os.replace(tmp, path)


def stream_nats(model: CharLM, data: bytes, chunk: int = 4096, device=None) -> float:
    """Total negative log-likelihood (nats) of `data` read as one stream from the zero state, as `recur eval`
    scores it: the first byte from the head at the zero state, each later byte from the state after the ones
    before it."""
    if not data:
        return 0.0
    model.eval()
    total = 0.0
    state = None
    with torch.no_grad():
        for start in range(0, len(data), chunk):
            piece = torch.frombuffer(bytearray(data[start:start + chunk]), dtype=torch.uint8).long()
            piece = piece.to(device).unsqueeze(0)
            first = model.first_logits(state, 1)
            logits, new_state = model(piece, state)
            # Byte t is predicted from the logits before it: `first` for the chunk's first byte.
            before = torch.cat([first.unsqueeze(1), logits[:, :-1]], dim=1)
            total += nn.functional.cross_entropy(before.reshape(-1, model.config.vocab).double(),
                                                 piece.reshape(-1), reduction="sum").item()
            state = new_state
    return total


def greedy(model: CharLM, prompt: bytes, length: int) -> bytes:
    """`length` bytes after `prompt`, each the most probable one, as `recur generate --greedy` picks them."""
    model.eval()
    out = bytearray()
    with torch.no_grad():
        state = None
        last = model.first_logits(None, 1)[0]
        if prompt:
            logits, state = model(torch.tensor([list(prompt)], dtype=torch.long), None)
            last = logits[0, -1]
        for _ in range(length):
            b = int(torch.argmax(last))
            out.append(b)
            logits, state = model(torch.tensor([[b]]), state)
            last = logits[0, -1]
    return bytes(out)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def describe(config: Config) -> str:
    return f"{config.cell} {config.layers}x{config.hidden}, embedding {config.embedding}"


__all__ = ["CharLM", "Config", "ModelFileError", "load_recur", "save_recur", "stream_nats", "greedy",
           "detach_state", "count_parameters", "describe"]
