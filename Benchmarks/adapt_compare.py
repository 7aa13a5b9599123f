#!/usr/bin/env python3
"""Full fine-tuning against low-rank adapters (LoRA) for adapting Recur's default model to a user's text.

The default model (Models/default.safetensors: byte-level LSTM, 2 layers x 256, embedding 64, vocab 256, float16)
is loaded into an equivalent PyTorch module and adapted, on one CPU thread (the daemon trains on one), to two
corpora it never saw:

  swift   this repo's Sources/**/*.swift, in sorted path order
  prose   README.md, Protocol/README.md, Models/MODEL.md and ../shared/DESIGN.md

Every file is split like Recur's trainer (Sources/RecurTraining/Corpus.swift): its last 10% is held out.

    python3 Benchmarks/adapt_compare.py                  # the full comparison (about 11 minutes), Markdown
    python3 Benchmarks/adapt_compare.py --json out.json  # also write every measurement as JSON
    python3 Benchmarks/adapt_compare.py --quick          # smoke test, a few seconds

Methods (each run trains only the listed tensors; everything else stays at the base weights; all run through the
same module, one fused nn.LSTM kernel call per layer, so only what is trained differs):

  full        every parameter (embedding, both LSTM layers, head)
  lora-rR     W + (alpha/R) B A on rnn.weight_ih_l{0,1}, rnn.weight_hh_l{0,1} and head.weight (A: R x in,
              normal(0, 1/in); B: out x R, zeros), plus the LSTM and head biases
  last+head   rnn.*_l1 and head.* in full; embedding and layer 0 frozen, and run without autograd

Training, identical for every run: batch B=32 windows of T=100 bytes (+1 target) drawn uniformly over all valid
window starts of the training parts, never crossing a file, from a generator with the same seed, so every run sees
the same batches in the same order; mean cross-entropy; Adam (betas 0.9, 0.999); gradient norm clipped to 1 (as
Recur); learning rate warmed up linearly over the first 10 steps, then constant. Each run trains until its
wall-clock training time (sampling + forward + backward + clip + step; not evaluation) passes the last budget, and
is evaluated whenever it passes one.

Validation loss (nats/byte): every held-out byte but the first of each file's tail, predicted in consecutive chunks
of at most 100 bytes from a zero state (the trainer's convention, without dropping the short last chunk).

Stored bytes: the trained tensors as float16 (what an adapter file must hold; a full fine-tune stores the whole
model), and the size of that safetensors file written for real.

Run times are wall-clock: another busy process on the same cores slows every method alike but changes the
numbers; the cpu/wall column (process CPU time over wall time while training) shows it.
"""

import argparse
import glob
import hashlib
import json
import math
import os
import platform
import struct
import subprocess
import sys
import tempfile
import time
import warnings

import torch
import torch.nn as nn
import torch.nn.functional as F

warnings.filterwarnings("ignore", message=".*TF32 acceleration.*")

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
MODEL_PATH = os.path.join(REPO, "Models", "default.safetensors")
SHARED = os.path.normpath(os.path.join(REPO, "..", "shared"))

VOCAB, EMBEDDING, HIDDEN, LAYERS = 256, 64, 256, 2
BATCH, STEPS = 32, 100  # B, T
VALIDATION_FRACTION = 0.1
WARMUP = 10
CLIP = 1.0
LORA_ALPHA = 8.0  # LoRA scale alpha / R: the learning rate carries over between ranks
VALIDATION_CHUNK_LIMIT = None  # --quick scores only the first 64 chunks


# ----------------------------------------------------------------------------------------------------------------
# The model


class CharLSTM(nn.Module):
    """Embedding (V, E) -> LSTM (E -> H, 2 layers, batch_first) -> Linear (H -> V): the layout Recur stores."""

    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(VOCAB, EMBEDDING)
        self.rnn = nn.LSTM(EMBEDDING, HIDDEN, num_layers=LAYERS, batch_first=True)
        self.head = nn.Linear(HIDDEN, VOCAB)

    def forward(self, x):  # x: (B, T) bytes -> logits (B, T, V)
        out, _ = self.rnn(self.embedding(x))
        return self.head(out)


def read_safetensors(path):
    """name -> float32 tensor. Uses the `safetensors` package when present, else reads the format directly."""
    try:
        from safetensors.torch import load_file
        return {k: v.float() for k, v in load_file(path).items()}
    except ImportError:
        pass
    dtypes = {"F16": torch.float16, "F32": torch.float32, "BF16": torch.bfloat16}
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    data = blob[8 + n:]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        lo, hi = info["data_offsets"]
        t = torch.frombuffer(bytearray(data[lo:hi]), dtype=dtypes[info["dtype"]])
        tensors[name] = t.reshape(info["shape"]).float()
    return tensors


def load_base():
    model = CharLSTM()
    tensors = read_safetensors(MODEL_PATH)
    model.load_state_dict(tensors, strict=True)
    return model.eval()


class AdaptedLM(nn.Module):
    """The base model with optional low-rank deltas, run one LSTM layer at a time.

    The base tensors are shared with `base` and trained or frozen according to `trainable`; a LoRA target W
    (out, in) is replaced by W + scale * B @ A in the forward pass. Layers below the first one with anything to
    train run under no_grad, so freezing them saves their backward pass.
    """

    def __init__(self, base, lora_rank=0, lora_alpha=None, lora_targets=(), trainable=()):
        super().__init__()
        self.base = base
        for name, p in base.named_parameters():
            p.requires_grad_(name in trainable)
        self.scale = (lora_alpha or LORA_ALPHA) / lora_rank if lora_rank else 0.0
        self.lora_a = nn.ParameterDict()
        self.lora_b = nn.ParameterDict()
        for name in lora_targets:
            w = base.get_parameter(name)
            out_features, in_features = w.shape
            key = name.replace(".", "_")
            self.lora_a[key] = nn.Parameter(torch.randn(lora_rank, in_features) / math.sqrt(in_features))
            self.lora_b[key] = nn.Parameter(torch.zeros(out_features, lora_rank))
        # The first layer (0 = embedding, 1 + k = LSTM layer k, 1 + LAYERS = head) that needs autograd.
        needs = [
            self._any_trainable("embedding."),
            *[self._any_trainable("rnn.", suffix=f"_l{k}") for k in range(LAYERS)],
            True,
        ]
        self.first_grad_stage = needs.index(True)

    def _any_trainable(self, prefix, suffix=""):
        for name, p in self.base.named_parameters():
            if name.startswith(prefix) and name.endswith(suffix):
                if p.requires_grad or name.replace(".", "_") in self.lora_a:
                    return True
        return False

    def weight(self, name):
        w = self.base.get_parameter(name)
        key = name.replace(".", "_")
        if key in self.lora_a:
            w = w + self.scale * (self.lora_b[key] @ self.lora_a[key])
        return w

    def forward(self, x):  # x: (B, T) -> logits (B, T, V)
        B = x.shape[0]
        with torch.set_grad_enabled(torch.is_grad_enabled() and self.first_grad_stage == 0):
            h = F.embedding(x, self.base.embedding.weight)  # (B, T, E)
        rnn = self.base.rnn
        for k in range(LAYERS):
            with torch.set_grad_enabled(torch.is_grad_enabled() and self.first_grad_stage <= 1 + k):
                w_ih = self.weight(f"rnn.weight_ih_l{k}")
                w_hh = self.weight(f"rnn.weight_hh_l{k}")
                zeros = h.new_zeros(1, B, HIDDEN)
                h, _, _ = torch._VF.lstm(
                    h, (zeros, zeros), [w_ih, w_hh, getattr(rnn, f"bias_ih_l{k}"), getattr(rnn, f"bias_hh_l{k}")],
                    True, 1, 0.0, self.training, False, True)  # (B, T, H)
        return F.linear(h, self.weight("head.weight"), self.base.head.bias)

    def trained_tensors(self):
        """name -> tensor of everything this adaptation has to store."""
        out = {n: p.detach() for n, p in self.base.named_parameters() if p.requires_grad}
        for key in self.lora_a:
            out[f"lora.{key}.A"] = self.lora_a[key].detach()
            out[f"lora.{key}.B"] = self.lora_b[key].detach()
        return out


LORA_TARGETS = [f"rnn.weight_{kind}_l{k}" for k in range(LAYERS) for kind in ("ih", "hh")] + ["head.weight"]
BIASES = [f"rnn.bias_{kind}_l{k}" for k in range(LAYERS) for kind in ("ih", "hh")] + ["head.bias"]


def build(method, base):
    """(module to train, trainable parameters) for a method name: full, lora-r<R>, last+head."""
    if method == "full":  # the same layer-by-layer path as the others, so only what is trained differs
        model = AdaptedLM(base, trainable=[n for n, _ in base.named_parameters()])
    elif method.startswith("lora-r"):
        model = AdaptedLM(base, lora_rank=int(method[len("lora-r"):]), lora_targets=LORA_TARGETS, trainable=BIASES)
    elif method == "last+head":
        names = [n for n, _ in base.named_parameters() if n.endswith(f"_l{LAYERS - 1}") or n.startswith("head.")]
        model = AdaptedLM(base, trainable=names)
    else:
        raise SystemExit(f"unknown method {method!r}")
    return model, [p for p in model.parameters() if p.requires_grad]


# ----------------------------------------------------------------------------------------------------------------
# Data


def split(name, data):
    cut = len(data) - int(round(len(data) * VALIDATION_FRACTION))
    return {"name": name, "train": data[:cut], "validation": data[cut:]}


def load_corpus(kind):
    if kind == "swift":
        paths = sorted(glob.glob(os.path.join(REPO, "Sources", "**", "*.swift"), recursive=True))
    elif kind == "prose":
        paths = [os.path.join(REPO, "README.md"), os.path.join(REPO, "Protocol", "README.md"),
                 os.path.join(REPO, "Models", "MODEL.md"), os.path.join(SHARED, "DESIGN.md")]
    else:
        raise SystemExit(f"unknown corpus {kind!r}")
    docs, digest = [], hashlib.sha256()
    for p in paths:
        data = open(p, "rb").read()
        digest.update(data)
        if data:
            docs.append(split(os.path.relpath(p, REPO), data))
    return docs, digest.hexdigest()


class WindowSampler:
    """B windows of T+1 bytes, uniform over every start that keeps a window inside one training part."""

    def __init__(self, docs, seed):
        parts = [torch.frombuffer(bytearray(d["train"]), dtype=torch.uint8) for d in docs]
        self.flat = torch.cat(parts).long()
        starts, offset = [], 0
        for part in parts:
            if len(part) >= STEPS + 1:
                starts.append(torch.arange(offset, offset + len(part) - STEPS))
            offset += len(part)
        self.starts = torch.cat(starts)
        self.generator = torch.Generator().manual_seed(seed)
        self.span = torch.arange(STEPS + 1)

    def next(self):  # -> inputs (B, T), targets (B, T)
        pick = torch.randint(len(self.starts), (BATCH,), generator=self.generator)
        w = self.flat[self.starts[pick][:, None] + self.span]
        return w[:, :-1], w[:, 1:]


def validation_chunks(texts):
    """Inputs (N, T) and targets (N, T) with -100 where padded: each text in chunks of <= T predictions."""
    inputs, targets = [], []
    for data in texts:
        t = torch.frombuffer(bytearray(data), dtype=torch.uint8).long()
        for lo in range(0, len(t) - 1, STEPS):
            x = t[lo:lo + STEPS + 1]
            pad = STEPS + 1 - len(x)
            inputs.append(F.pad(x[:-1], (0, pad)))
            targets.append(F.pad(x[1:], (0, pad), value=-100))
    return torch.stack(inputs), torch.stack(targets)


@torch.no_grad()
def evaluate(model, chunks, batch=256):
    was_training = model.training
    model.eval()
    inputs, targets = chunks
    total, count = 0.0, 0
    for lo in range(0, len(inputs), batch):
        logits = model(inputs[lo:lo + batch])
        y = targets[lo:lo + batch]
        total += F.cross_entropy(logits.reshape(-1, VOCAB), y.reshape(-1), ignore_index=-100, reduction="sum").item()
        count += int((y != -100).sum())
    model.train(was_training)
    return total / count


# ----------------------------------------------------------------------------------------------------------------
# Checks


def verify(base, quick):
    """The module reproduces the stored model: parameter count, a sensible loss on text it was trained on,
    and the per-layer adapter path agreeing with nn.LSTM."""
    n = sum(p.numel() for p in base.parameters())
    assert n == 938_240, n
    report = {"parameters": n}
    shakespeare = os.path.join(SHARED, "corpora", "train", "tinyshakespeare.txt")
    if os.path.exists(shakespeare):
        held_out = split("tinyshakespeare.txt", open(shakespeare, "rb").read())["validation"]
        held_out = held_out[: (5_000 if quick else 50_000)]
        report["base_loss_tinyshakespeare_heldout"] = evaluate(base, validation_chunks([held_out]))
        report["base_loss_tinyshakespeare_heldout_bytes"] = len(held_out)
        assert report["base_loss_tinyshakespeare_heldout"] < 2.0, report
    x = torch.randint(VOCAB, (3, 57), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        reference = base(x)
        for method in ("full", "lora-r4", "last+head"):
            adapted, _ = build(method, base)
            diff = (adapted(x) - reference).abs().max().item()
            assert diff < 1e-4, (method, diff)
            report[f"max_logit_diff_{method}"] = diff
    return report


# ----------------------------------------------------------------------------------------------------------------
# Runs


def stored_bytes(tensors):
    fp16 = sum(t.numel() for t in tensors.values()) * 2
    try:
        from safetensors.torch import save_file
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "adapter.safetensors")
            save_file({k: v.half().contiguous() for k, v in tensors.items()}, path)
            return fp16, os.path.getsize(path)
    except ImportError:
        return fp16, None


def train_run(method, lr, docs, chunks, budgets, seed, base_loss):
    torch.manual_seed(seed)  # the LoRA initialisation
    base = load_base()
    model, params = build(method, base)
    model.train()
    optimizer = torch.optim.Adam(params, lr=lr)
    sampler = WindowSampler(docs, seed)
    checkpoints, losses = [], []
    step, wall, cpu = 0, 0.0, 0.0
    pending = list(budgets)
    while pending:
        t0, c0 = time.perf_counter(), time.process_time()
        x, y = sampler.next()
        for group in optimizer.param_groups:
            group["lr"] = lr * min(1.0, (step + 1) / WARMUP)
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, VOCAB), y.reshape(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, CLIP)
        optimizer.step()
        wall += time.perf_counter() - t0
        cpu += time.process_time() - c0
        step += 1
        losses.append(loss.item())
        if not math.isfinite(losses[-1]):
            break
        while pending and wall >= pending[0]:
            budget = pending.pop(0)
            val = evaluate(model, chunks)
            checkpoints.append({
                "budget_s": budget, "steps": step, "train_s": wall, "steps_per_s": step / wall,
                "cpu_over_wall": cpu / wall, "train_loss_last20": sum(losses[-20:]) / len(losses[-20:]),
                "val_loss": val, "gain": base_loss - val, "gain_per_s": (base_loss - val) / wall,
            })
    fp16, file_bytes = stored_bytes(model.trained_tensors())
    return {
        "method": method, "lr": lr, "trained_parameters": sum(p.numel() for p in params),
        "stored_fp16_bytes": fp16, "stored_file_bytes": file_bytes, "diverged": not math.isfinite(losses[-1]),
        "checkpoints": checkpoints,
    }


def best_per_budget(runs, method, budget):
    """The run of `method` with the lowest validation loss at `budget` (the learning-rate pick)."""
    rows = []
    for r in runs:
        if r["method"] != method:
            continue
        for c in r["checkpoints"]:
            if c["budget_s"] == budget:
                rows.append((c["val_loss"], r, c))
    return min(rows, key=lambda t: t[0])[1:] if rows else (None, None)


def markdown(result):
    out = []
    v = result["verification"]
    out.append(f"Base model: {v['parameters']:,} parameters; held-out tinyshakespeare loss "
               f"{v.get('base_loss_tinyshakespeare_heldout', float('nan')):.3f} nats/byte "
               f"({v.get('base_loss_tinyshakespeare_heldout_bytes', 0):,} bytes); adapter path agrees with nn.LSTM "
               f"to {max(v[k] for k in v if k.startswith('max_logit_diff')):.1e}.\n")
    out.append("Summary: validation-loss gain (nats/byte, base minus adapted; best learning rate at each budget) at "
               "each training budget, steps per second, and what the adaptation must store (float16).\n")
    head = "| method | trained params | stored bytes |"
    rule = "|---|---:|---:|"
    for c in result["corpora"]:
        head += f" {c['corpus']} gain at " + " / ".join(f"{b:g}" for b in c["budgets_s"]) + f" s | {c['corpus']} steps/s |"
        rule += "---:|---:|"
    out += [head, rule]
    methods = list(dict.fromkeys(r["method"] for c in result["corpora"] for r in c["runs"]))
    for method in methods:
        row, first = "", None
        for c in result["corpora"]:
            gains, speed = [], "—"
            for budget in c["budgets_s"]:
                r, k = best_per_budget(c["runs"], method, budget)
                gains.append(f"{k['gain']:+.3f}" if k else "—")
                if r is not None:
                    first = first or r
                    speed = f"{k['steps_per_s']:.2f}"
            row += " " + " / ".join(gains) + f" | {speed} |"
        if first is None:
            continue
        out.append(f"| {method} | {first['trained_parameters']:,} | {first['stored_fp16_bytes']:,} |" + row)
    out.append("")
    for corpus in result["corpora"]:
        c = corpus
        out.append(f"### {c['corpus']}: {c['files']} files, {c['train_bytes']:,} training bytes "
                   f"({c['train_bytes'] / (BATCH * STEPS):.0f} steps per pass), {c['validation_bytes']:,} held-out "
                   f"bytes; base val loss {c['base_val_loss']:.4f} nats/byte\n")
        out.append("Best learning rate per method and budget (lowest val loss at that budget):\n")
        out.append("| method | budget | lr | steps | steps/s | cpu/wall | val loss | gain (nats/byte) | "
                   "gain/s (mnats/byte/s) | trained params | stored fp16 bytes | file bytes |")
        out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        methods = list(dict.fromkeys(r["method"] for r in c["runs"]))
        for method in methods:
            for budget in c["budgets_s"]:
                r, k = best_per_budget(c["runs"], method, budget)
                if r is None:
                    continue
                out.append(
                    f"| {method} | {budget:g} s | {r['lr']:g} | {k['steps']} | {k['steps_per_s']:.2f} | "
                    f"{k['cpu_over_wall']:.2f} | {k['val_loss']:.4f} | {k['gain']:+.4f} | {1000 * k['gain_per_s']:.2f} | "
                    f"{r['trained_parameters']:,} | {r['stored_fp16_bytes']:,} | {r['stored_file_bytes'] or 0:,} |")
        out.append("")
        out.append("Every run (val loss at each budget):\n")
        out.append("| method | lr | " + " | ".join(f"{b:g} s" for b in c["budgets_s"]) + " | steps/s |")
        out.append("|---|---:|" + "---:|" * (len(c["budgets_s"]) + 1))
        for r in c["runs"]:
            vals = {k["budget_s"]: k["val_loss"] for k in r["checkpoints"]}
            cells = [f"{vals[b]:.4f}" if b in vals else ("diverged" if r["diverged"] else "—")
                     for b in c["budgets_s"]]
            last = r["checkpoints"][-1]["steps_per_s"] if r["checkpoints"] else float("nan")
            out.append(f"| {r['method']} | {r['lr']:g} | " + " | ".join(cells) + f" | {last:.2f} |")
        out.append("")
    return "\n".join(out)


# The prose corpus is 12 steps per pass: it is learned (and overfitted) within seconds.
DEFAULT_BUDGETS = "swift=10,20,40;prose=4,8,16"
DEFAULT_RUNS = "full@1e-3,full@3e-3,lora-r4@3e-3,lora-r4@1e-2,lora-r8@3e-3,lora-r8@1e-2," \
               "lora-r16@3e-3,lora-r16@1e-2,last+head@1e-3,last+head@3e-3"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--budgets", default=DEFAULT_BUDGETS,
                    help="training seconds at which each run is evaluated (it stops at the last), per corpus: "
                         "'swift=10,20,40;prose=4,8,16', or one list for all (default: %(default)s)")
    ap.add_argument("--runs", default=DEFAULT_RUNS, help="method@lr, comma-separated (default: %(default)s)")
    ap.add_argument("--corpora", default="swift,prose")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json", metavar="PATH", help="also write every measurement as JSON")
    ap.add_argument("--quick", action="store_true", help="smoke test: three runs of 1 s on each corpus")
    args = ap.parse_args()
    if args.quick:
        args.budgets, args.runs = "0.5,1", "full@1e-3,lora-r4@1e-2,last+head@1e-3"
        global VALIDATION_CHUNK_LIMIT
        VALIDATION_CHUNK_LIMIT = 64

    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(args.seed)
    kinds = args.corpora.split(",")
    budgets = {}
    for entry in args.budgets.split(";"):
        name, _, values = entry.rpartition("=")
        for kind in ([name] if name else kinds):
            budgets[kind] = sorted(float(b) for b in values.split(","))
    runs = [(m, float(lr)) for m, lr in (item.split("@") for item in args.runs.split(","))]

    started = time.time()
    try:
        commit = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True).stdout.strip()
    except OSError:
        commit = ""
    result = {
        "torch": torch.__version__, "threads": torch.get_num_threads(), "cpus": os.cpu_count(),
        "machine": platform.machine(), "commit": commit, "seed": args.seed,
        "batch": BATCH, "seq_len": STEPS, "warmup_steps": WARMUP, "clip": CLIP, "lora_alpha": LORA_ALPHA,
        "verification": verify(load_base(), args.quick), "corpora": [],
    }
    for kind in kinds:
        docs, sha = load_corpus(kind)
        chunks = validation_chunks([d["validation"] for d in docs])
        if VALIDATION_CHUNK_LIMIT:
            chunks = (chunks[0][:VALIDATION_CHUNK_LIMIT], chunks[1][:VALIDATION_CHUNK_LIMIT])
        base_loss = evaluate(load_base(), chunks)
        corpus = {
            "corpus": kind, "files": len(docs), "sha256": sha,
            "train_bytes": sum(len(d["train"]) for d in docs),
            "validation_bytes": sum(len(d["validation"]) for d in docs),
            "base_val_loss": base_loss, "budgets_s": budgets[kind], "runs": [],
        }
        for method, lr in runs:
            r = train_run(method, lr, docs, chunks, budgets[kind], args.seed, base_loss)
            corpus["runs"].append(r)
            last = r["checkpoints"][-1] if r["checkpoints"] else None
            print(f"[{time.time() - started:6.0f} s] {kind} {method} lr {lr:g}: "
                  + (f"{last['steps']} steps, val {base_loss:.4f} -> {last['val_loss']:.4f}" if last else "diverged"),
                  file=sys.stderr, flush=True)
        result["corpora"].append(corpus)
    result["total_s"] = time.time() - started

    print(markdown(result))
    print(f"Total {result['total_s']:.0f} s; torch {result['torch']}, {result['threads']} thread(s), "
          f"{result['cpus']} CPUs, commit {commit}.")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
