#!/usr/bin/env python3
"""Generate the PyTorch reference fixtures used by RecurModelTests.

Regenerate with:
    pip install torch==2.13.0+cpu safetensors
    python3 Tests/RecurModelTests/Fixtures/make_fixtures.py

For every (cell, layers) in {lstm, gru, rnn} x {1, 2} this writes
    {cell}_{layers}layer.safetensors           original (pre-Adam) weights
    {cell}_{layers}layer.expected.safetensors  inputs/targets/logits/loss/grads/
                                               Adam-updated params/final state
plus a handful of deliberately malformed files (bad_*.safetensors) for the
loader's error-path tests. See README.md in this folder for the conventions.
"""

import json
import math
import os
import struct

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors import safe_open
from safetensors.torch import load_file, save_file

HERE = os.path.dirname(os.path.abspath(__file__))

CELLS = ("lstm", "gru", "rnn")
LAYER_COUNTS = (1, 2)
HIDDEN = 16
EMBEDDING = 8
VOCAB = 256

ROW0 = b"hello recur, the byte-RNN"
ROW1 = "naïve café → ok!…:)".encode("utf-8")
SEQ_BYTES = 25

LR = 0.01
BETAS = (0.9, 0.999)
EPS = 1e-8
INIT_RANGE = 0.5


class CharLM(nn.Module):
    def __init__(self, cell, layers, hidden, embedding, vocab=VOCAB):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embedding)
        rnn_cls = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[cell]
        self.rnn = rnn_cls(embedding, hidden, num_layers=layers, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, x, return_state=False):
        out, state = self.rnn(self.embedding(x))  # zero initial state
        logits = self.head(out)
        return (logits, state) if return_state else logits


def config_seed(cell, layers):
    # Fixed per config: lstm_1 -> 1001, lstm_2 -> 1002, gru_1 -> 1011, ...
    return 1000 + 10 * CELLS.index(cell) + layers


def build_model(cell, layers):
    torch.manual_seed(config_seed(cell, layers))
    model = CharLM(cell, layers, HIDDEN, EMBEDDING).float()
    with torch.no_grad():
        for p in model.parameters():
            p.uniform_(-INIT_RANGE, INIT_RANGE)
    return model


def batch():
    assert len(ROW0) == SEQ_BYTES, len(ROW0)
    assert len(ROW1) == SEQ_BYTES, len(ROW1)
    full = torch.tensor([list(ROW0), list(ROW1)], dtype=torch.int64)  # (2, 25)
    return full[:, :-1].contiguous(), full[:, 1:].contiguous()


def loss_of(model, inputs, targets):
    logits, state = model(inputs, return_state=True)
    loss = F.cross_entropy(logits.reshape(-1, VOCAB), targets.reshape(-1))
    return logits, state, loss


def model_metadata(cell, layers):
    return {
        "format": "recur-charlm",
        "version": "1",
        "cell": cell,
        "layers": str(layers),
        "hidden": str(HIDDEN),
        "embedding": str(EMBEDDING),
        "vocab": str(VOCAB),
    }


def save_deterministic(tensors, path, metadata=None):
    """save_file, then sort the __metadata__ keys in the header.

    safetensors writes metadata in hash-map order, which varies run to run; sorting
    keeps regenerated files byte-identical. The header length is unchanged (same
    characters, reordered), so data offsets stay valid.
    """
    save_file(tensors, path, metadata=metadata)
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    if "__metadata__" not in header:
        return
    header["__metadata__"] = dict(sorted(header["__metadata__"].items()))
    # Keep the tensor entries in the order safetensors wrote them, metadata first.
    hjson = json.dumps(header, separators=(",", ":")).encode("utf-8")
    assert len(hjson) <= n, (len(hjson), n)
    hjson += b" " * (n - len(hjson))
    with open(path, "wb") as f:
        f.write(blob[:8] + hjson + blob[8 + n:])


def contiguous_state_dict(model):
    return {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}


def make_config(cell, layers):
    name = f"{cell}_{layers}layer"
    model = build_model(cell, layers)
    original = contiguous_state_dict(model)

    inputs, targets = batch()
    logits, state, loss = loss_of(model, inputs, targets)
    model.zero_grad()
    loss.backward()

    grads = {n: p.grad.detach().clone().contiguous() for n, p in model.named_parameters()}

    opt = torch.optim.Adam(model.parameters(), lr=LR, betas=BETAS, eps=EPS)
    opt.step()
    updated = {n: p.detach().clone().contiguous() for n, p in model.named_parameters()}

    if cell == "lstm":
        final_h, final_c = state
    else:
        final_h, final_c = state, None

    model_path = os.path.join(HERE, f"{name}.safetensors")
    if layers == 1:
        save_file(original, model_path)  # no metadata at all
    else:
        save_deterministic(original, model_path, metadata=model_metadata(cell, layers))

    expected = {
        "inputs": inputs.to(torch.float32),
        "targets": targets.to(torch.float32),
        "logits": logits.detach().contiguous(),
        "loss": loss.detach().reshape(1).contiguous(),
        "final_h": final_h.detach().contiguous(),
    }
    if final_c is not None:
        expected["final_c"] = final_c.detach().contiguous()
    for n, g in grads.items():
        expected[f"grad.{n}"] = g
    for n, p in updated.items():
        expected[f"adam.{n}"] = p
    meta = {
        "cell": cell,
        "layers": str(layers),
        "hidden": str(HIDDEN),
        "embedding": str(EMBEDDING),
        "B": "2",
        "T": str(SEQ_BYTES - 1),
        "seed": str(config_seed(cell, layers)),
        "torch": torch.__version__,
    }
    expected_path = os.path.join(HERE, f"{name}.expected.safetensors")
    save_deterministic(expected, expected_path, metadata=meta)
    return name, loss.item()


# ---------------------------------------------------------------------------
# Malformed files. Written by hand where the safetensors library would refuse.


def raw_safetensors(header: dict, data: bytes, pad_to=8) -> bytes:
    hjson = json.dumps(header, separators=(",", ":")).encode("utf-8")
    if pad_to:
        hjson += b" " * ((-len(hjson)) % pad_to)
    return struct.pack("<Q", len(hjson)) + hjson + data


def write(path, blob):
    with open(path, "wb") as f:
        f.write(blob)


def make_bad_files():
    # 1. Header length claims 1000 bytes, but the file is only 20 bytes long.
    blob = struct.pack("<Q", 1000) + b'{"a":{"dtype"'[:12]
    assert len(blob) == 20
    write(os.path.join(HERE, "bad_truncated_header.safetensors"), blob)

    # 2. Valid JSON header; second tensor's data_offsets run past the end of file.
    header = {
        "ok": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
        "too_far": {"dtype": "F32", "shape": [256], "data_offsets": [16, 1040]},
    }
    data = struct.pack("<8f", *([0.25] * 8))  # only 32 bytes of data present
    write(os.path.join(HERE, "bad_offsets.safetensors"), raw_safetensors(header, data))

    # 3. Unknown dtype "Q7" (otherwise consistent: 4 elements, 16 bytes).
    header = {"weird": {"dtype": "Q7", "shape": [4], "data_offsets": [0, 16]}}
    data = struct.pack("<4f", 1.0, 2.0, 3.0, 4.0)
    write(os.path.join(HERE, "bad_dtype.safetensors"), raw_safetensors(header, data))

    # 4. A valid 1-layer LSTM (same weights as lstm_1layer) with one NaN in head.bias.
    sd = contiguous_state_dict(build_model("lstm", 1))
    sd["head.bias"][3] = float("nan")
    save_file(sd, os.path.join(HERE, "bad_nan.safetensors"))

    # 5. 1-layer LSTM with rnn.weight_hh_l0 of shape [64, 15] (data length matches).
    sd = contiguous_state_dict(build_model("lstm", 1))
    sd["rnn.weight_hh_l0"] = sd["rnn.weight_hh_l0"][:, :15].contiguous()
    save_file(sd, os.path.join(HERE, "bad_shape.safetensors"))


# ---------------------------------------------------------------------------
# Verification: reload every model file and recompute the expected values.


def verify(name, cell, layers):
    model_path = os.path.join(HERE, f"{name}.safetensors")
    expected_path = os.path.join(HERE, f"{name}.expected.safetensors")
    with safe_open(model_path, "pt") as f:
        meta = f.metadata()
    if layers == 1:
        assert not meta, f"{name}: expected no metadata, got {meta}"
    else:
        assert meta == model_metadata(cell, layers), meta

    sd = load_file(model_path)
    exp = load_file(expected_path)
    model = CharLM(cell, layers, HIDDEN, EMBEDDING)
    model.load_state_dict(sd)
    inputs = exp["inputs"].to(torch.int64)
    targets = exp["targets"].to(torch.int64)
    assert torch.equal(exp["inputs"], batch()[0].float())
    logits, state, loss = loss_of(model, inputs, targets)
    assert torch.allclose(logits, exp["logits"], atol=1e-6), name
    assert abs(loss.item() - exp["loss"].item()) < 1e-6, name
    h = state[0] if cell == "lstm" else state
    assert torch.allclose(h, exp["final_h"], atol=1e-6), name
    if cell == "lstm":
        assert torch.allclose(state[1], exp["final_c"], atol=1e-6), name
    # The last time step of the top layer's output is final_h[-1].
    loss.backward()
    for n, p in model.named_parameters():
        assert torch.allclose(p.grad, exp[f"grad.{n}"], atol=1e-6), (name, n)
    # Manual single Adam step (bias-corrected) must reproduce adam.* closely.
    for n, p in model.named_parameters():
        g = p.grad
        m = (1 - BETAS[0]) * g
        v = (1 - BETAS[1]) * g * g
        m_hat = m / (1 - BETAS[0])
        v_hat = v / (1 - BETAS[1])
        manual = p.detach() - LR * m_hat / (v_hat.sqrt() + EPS)
        assert torch.allclose(manual, exp[f"adam.{n}"], atol=1e-5), (name, n)
    # Loss with uniform logits would be ln(256); make sure we are not degenerate.
    assert loss.item() != math.log(VOCAB)
    return loss.item()


def verify_bad_files():
    for fname in ("bad_truncated_header", "bad_offsets", "bad_dtype"):
        path = os.path.join(HERE, f"{fname}.safetensors")
        try:
            load_file(path)
        except Exception as e:  # the reference library must reject these too
            print(f"  {fname}: rejected by safetensors ({type(e).__name__})")
        else:
            raise AssertionError(f"{fname} unexpectedly loaded")
    sd = load_file(os.path.join(HERE, "bad_nan.safetensors"))
    assert torch.isnan(sd["head.bias"]).sum().item() == 1
    sd = load_file(os.path.join(HERE, "bad_shape.safetensors"))
    assert list(sd["rnn.weight_hh_l0"].shape) == [64, 15]


def main():
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}")
    for cell in CELLS:
        for layers in LAYER_COUNTS:
            name, loss = make_config(cell, layers)
            reloaded = verify(name, cell, layers)
            print(f"  {name}: loss {loss:.6f} (reloaded {reloaded:.6f})")
    make_bad_files()
    verify_bad_files()
    for fname in sorted(os.listdir(HERE)):
        if fname.endswith(".safetensors"):
            size = os.path.getsize(os.path.join(HERE, fname))
            print(f"  {fname:42s} {size:7d} bytes")


if __name__ == "__main__":
    main()
