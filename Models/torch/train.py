#!/usr/bin/env python3
"""Train a Recur model with PyTorch, on one process or many (DistributedDataParallel under torchrun).

  python Models/torch/train.py --corpus DATA... --out run.pt --steps 20000 --export model.safetensors
  torchrun --nproc-per-node 4 Models/torch/train.py ...        (the same flags; --batch is the global batch)

The model is Recur's (byte embedding, LSTM/GRU/RNN stack, linear head, the same tensor names), so `--export`
writes a file `recur` serves and adapts as it is, and `--init` starts from a `recur train` or `recur adapt` model.
Each rank reads its own contiguous shards of the corpus as truncated BPTT with the state carried between windows
(see recur_torch/data.py). Adam with warm-up and cosine decay, clipping and dropout follow `recur train`'s flags
and formulas. Rank 0 writes the checkpoint (`--out`, atomically, with the optimiser state, the carried states
and every rank's random state) every `--val-every` steps and at the end; `--resume` continues it step for step.
Validation scores the held-out tail of each file as one stream, as `recur eval --validation-split` does.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402
import torch.distributed as dist  # noqa: E402
from torch import nn  # noqa: E402

from recur_torch.data import Corpus, Streams  # noqa: E402
from recur_torch.model import (CharLM, Config, ModelFileError, count_parameters, describe, detach_state,  # noqa: E402
                               load_recur, save_recur, stream_nats)

CHECKPOINT_FORMAT = "recur-torch-checkpoint"
# What a checkpoint fixes: a resumed run takes these from the checkpoint, not from the command line.
RUN_KEYS = ("cell", "layers", "hidden", "embedding", "seq_len", "batch", "lr", "warmup", "min_lr_fraction", "decay",
            "clip", "dropout", "output_dropout", "weight_decay", "seed", "val_fraction", "strip_separators")


class Failure(Exception):
    """A problem with the user's input, reported as one line without a traceback."""


def parse(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", nargs="+", required=True, help="text files or folders (every file under them)")
    ap.add_argument("--val-fraction", type=float, default=0.1, help="held-out tail of each file (default 0.1)")
    ap.add_argument("--strip-separators", action="store_true", help="drop '==== FILE: ... ====' lines")
    ap.add_argument("--cell", choices=["lstm", "gru", "rnn"], default="gru")
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--hidden", type=int, default=384)
    ap.add_argument("--embedding", type=int, default=64)
    ap.add_argument("--init", metavar="MODEL", help="start from this Recur model file (its architecture wins)")
    ap.add_argument("--seq-len", type=int, default=100, help="bytes per window (truncated BPTT length)")
    ap.add_argument("--batch", type=int, default=32, help="streams in a step, over all ranks")
    ap.add_argument("--lr", type=float, default=2e-3, help="peak learning rate")
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--min-lr-fraction", type=float, default=0.1)
    ap.add_argument("--decay", choices=["cosine", "step", "constant"], default="cosine")
    ap.add_argument("--clip", type=float, default=1.0, help="gradient norm clip")
    ap.add_argument("--dropout", type=float, default=0.0, help="between recurrent layers")
    ap.add_argument("--output-dropout", type=float, default=0.0, help="on the top layer's output, before the head")
    ap.add_argument("--weight-decay", type=float, default=0.0)
    ap.add_argument("--steps", type=int, required=True, help="total steps (a resumed run may raise it)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--val-every", type=int, default=500, help="steps between validation and checkpoints")
    ap.add_argument("--val-max-bytes", type=int, default=0,
                    help="score at most this many bytes of each tail (recur eval --max-bytes); 0: all")
    ap.add_argument("--out", default="recur-torch.pt", help="the checkpoint")
    ap.add_argument("--resume", action="store_true", help="continue from --out")
    ap.add_argument("--export", metavar="MODEL", help="write a Recur model file at the end")
    ap.add_argument("--half", action="store_true", help="export float16 (half the size; Recur's shipped format)")
    ap.add_argument("--keep", choices=["best", "last"], default="best",
                    help="export the best validation weights (default) or the last")
    ap.add_argument("--device", default="auto", help="auto (CUDA when present), cpu, cuda")
    ap.add_argument("--bf16", action=argparse.BooleanOptionalAction, default=None,
                    help="bfloat16 autocast (default: on with CUDA, off on CPU)")
    ap.add_argument("--compile", action="store_true", help="torch.compile the model")
    ap.add_argument("--threads", type=int, default=0, help="CPU threads per rank (0: PyTorch's choice)")
    ap.add_argument("--log-every", type=int, default=50)
    ap.add_argument("--json", action="store_true", help="log JSON lines")
    return ap.parse_args(argv)


def learning_rate(args, step: int) -> float:
    """`LearningRateSchedule.rate(step:progress:)`: linear warm-up, then decay to min_lr_fraction · peak."""
    if step < args.warmup:
        return args.lr * (step + 1) / args.warmup
    p = min(max(step / args.steps, 0.0), 1.0)
    floor = args.lr * args.min_lr_fraction
    if args.decay == "constant":
        return args.lr
    if args.decay == "cosine":
        return floor + (args.lr - floor) * 0.5 * (1 + math.cos(math.pi * p))
    return max(args.lr * (1 if p < 0.5 else 0.1 if p < 0.75 else 0.01), floor)


class Run:
    def __init__(self, args):
        self.args = args
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        want_cuda = args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available())
        if args.device == "cuda" and not torch.cuda.is_available():
            raise Failure("--device cuda, but PyTorch sees no CUDA device")
        self.device = torch.device(f"cuda:{local_rank}" if want_cuda else "cpu")
        if want_cuda:
            torch.cuda.set_device(self.device)
        if args.threads:
            torch.set_num_threads(args.threads)
        if self.world > 1:
            dist.init_process_group(backend="nccl" if want_cuda else "gloo")
        self.bf16 = want_cuda if args.bf16 is None else args.bf16

    def log(self, message: str, **fields):
        if self.rank != 0:
            return
        if self.args.json:
            print(json.dumps({"event": message, **fields}), flush=True)
        else:
            extra = "  ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in fields.items())
            print(f"{message}  {extra}".rstrip(), flush=True)

    def all_sum(self, values: list[float]) -> list[float]:
        if self.world == 1:
            return values
        t = torch.tensor(values, dtype=torch.float64, device=self.device)
        dist.all_reduce(t)
        return t.tolist()

    def validate(self, model: CharLM, corpus: Corpus) -> dict:
        """Nats per byte and per character over every file's tail, each tail one stream from the zero state.
        Files are spread over the ranks and the sums added."""
        nats = nbytes = chars = 0.0
        for i, (_, tail) in enumerate(corpus.validation):
            if i % self.world != self.rank:
                continue
            data = bytes(tail[:self.args.val_max_bytes] if self.args.val_max_bytes else tail)
            nats += stream_nats(model, data, device=self.device)
            nbytes += len(data)
            chars += len(data.decode("utf-8", errors="replace"))
        model.train()
        nats, nbytes, chars = self.all_sum([nats, nbytes, chars])
        return {"nats_per_byte": nats / max(nbytes, 1), "nats_per_char": nats / max(chars, 1), "bytes": int(nbytes)}

    def gather(self, obj):
        """Every rank's `obj`, in rank order, on every rank."""
        if self.world == 1:
            return [obj]
        out = [None] * self.world
        dist.all_gather_object(out, obj)
        return out


def load_checkpoint(path: str) -> dict:
    try:
        ck = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise Failure(f"--resume: no checkpoint at {path}") from None
    except Exception as e:
        raise Failure(f"{path} is not a readable recur_torch checkpoint: it is corrupt, cut short, or was not "
                      f"written by train.py ({type(e).__name__})") from None
    if not isinstance(ck, dict) or ck.get("format") != CHECKPOINT_FORMAT:
        raise Failure(f"{path} is not a recur_torch checkpoint (a Recur model goes to --init, not --resume)")
    return ck


def save_checkpoint(path: str, ck: dict) -> None:
    tmp = f"{path}.tmp-{os.getpid()}"
    torch.save(ck, tmp)
    os.replace(tmp, path)


def main(argv=None) -> int:
    args = parse(argv)
    run = Run(args)
    try:
        train(run)
        code = 0
    except (Failure, ModelFileError, ValueError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr, flush=True)
        code = 2
    if run.world > 1 and dist.is_initialized():
        if code == 0:
            # Rank 0 exports alone: the others wait for it. Then every rank leaves without tearing gloo down. Its
            # teardown races with a peer that has already closed its connections, and the slower rank aborted
            # ("terminate called without an active exception") in 4 of 127 two-rank runs here, and still in 1 of
            # about 80 under load with the barrier but with destroy_process_group. Everything is written by then.
            dist.barrier()
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(0)
        dist.destroy_process_group()
    return code


def train(run: Run) -> None:
    args = run.args
    if args.init and args.resume:
        raise Failure("use either --init or --resume, not both")
    ck = load_checkpoint(args.out) if args.resume else None
    if ck is not None:
        steps, export, keep = args.steps, args.export, args.keep
        for key in RUN_KEYS:  # output_dropout came later: off in older checkpoints
            setattr(args, key, ck["run"].get(key, 0.0) if key == "output_dropout" else ck["run"][key])
        args.steps = steps
        args.export, args.keep = export, keep
    if args.batch % run.world:
        raise Failure(f"--batch {args.batch} does not split over {run.world} ranks")
    for name in ("dropout", "output_dropout"):
        if not 0 <= getattr(args, name) < 1:
            raise Failure(f"--{name.replace('_', '-')} must be in [0, 1)")
    local = args.batch // run.world
    streams_of_rank = range(run.rank * local, (run.rank + 1) * local)

    corpus = Corpus(args.corpus, args.val_fraction, args.strip_separators)
    streams = Streams(corpus, args.batch, args.seq_len)

    torch.manual_seed(args.seed)
    metadata = {}
    dropouts = {"dropout": args.dropout, "output_dropout": args.output_dropout}
    if ck is not None:
        model = CharLM(Config(args.cell, args.layers, args.hidden, args.embedding), **dropouts)
        model.load_state_dict(ck["model"])
    elif args.init:
        model, metadata = load_recur(args.init, **dropouts)
        c = model.config
        args.cell, args.layers, args.hidden, args.embedding = c.cell, c.layers, c.hidden, c.embedding
        metadata = {k: v for k, v in metadata.items() if k.startswith("recur.")}
    else:
        model = CharLM(Config(args.cell, args.layers, args.hidden, args.embedding), **dropouts)
    model.to(run.device)
    net = model
    if run.world > 1:
        ids = [run.device.index] if run.device.type == "cuda" else None
        net = nn.parallel.DistributedDataParallel(model, device_ids=ids)
    if args.compile:
        net = torch.compile(net)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr, betas=(0.9, 0.999), eps=1e-8,
                                 weight_decay=args.weight_decay)
    # Dropout masks differ per rank; the data order does not depend on any random state.
    torch.manual_seed(args.seed * 1000 + run.rank)
    step, elapsed, best, history = 0, 0.0, None, []
    state = None
    if ck is not None:
        optimizer.load_state_dict(ck["optimizer"])
        step, elapsed, best, history = ck["step"], ck["elapsed"], ck["best"], ck["history"]
        if ck["world"] == run.world:
            torch.set_rng_state(ck["rng"][run.rank])
        else:
            run.log(f"warning: the checkpoint was written by {ck['world']} ranks, this run has {run.world}: "
                    "dropout masks will differ from an uninterrupted run")
        if ck["states"] is not None:
            s = [t[:, streams_of_rank.start:streams_of_rank.stop].to(run.device) for t in ck["states"]]
            state = tuple(s) if args.cell == "lstm" else s[0]
        run.log(f"resuming at step {step} from {args.out}")
    run.log(f"model {describe(model.config)}, {count_parameters(model)} parameters; {corpus.train_bytes} train "
            f"bytes, {corpus.validation_bytes} validation bytes; {run.world} rank(s) x {local} streams of "
            f"{args.seq_len} bytes on {run.device}{', bf16' if run.bf16 else ''}")

    def checkpoint():
        states = None
        if state is not None:
            parts = [state] if isinstance(state, torch.Tensor) else list(state)
            gathered = run.gather([p.detach().cpu() for p in parts])
            states = [torch.cat([g[i] for g in gathered], dim=1) for i in range(len(parts))]
        rngs = run.gather(torch.get_rng_state())
        if run.rank == 0:
            save_checkpoint(args.out, {
                "format": CHECKPOINT_FORMAT, "version": 1, "run": {k: getattr(args, k) for k in RUN_KEYS},
                "step": step, "elapsed": elapsed, "world": run.world,
                "model": {k: v.detach().cpu() for k, v in model.state_dict().items()},
                "optimizer": optimizer.state_dict(), "best": best, "history": history,
                "states": states, "rng": rngs})

    autocast = torch.autocast(device_type=run.device.type, dtype=torch.bfloat16, enabled=run.bf16)
    model.train()
    window_start = time.perf_counter()
    window_bytes = 0
    loss_sum = torch.zeros((), dtype=torch.float64, device=run.device)
    loss_count = 0
    while step < args.steps:
        start = time.perf_counter()
        lr = learning_rate(args, step)
        for group in optimizer.param_groups:
            group["lr"] = lr
        if streams.starts_pass(step):
            state = None
        window = torch.from_numpy(streams.window(step, streams_of_rank)).to(run.device).long()
        x, y = window[:, :-1], window[:, 1:]
        with autocast:
            logits, state = net(x, state)
        loss = nn.functional.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), y.reshape(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if args.clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        optimizer.step()
        state = detach_state(state)
        step += 1
        elapsed += time.perf_counter() - start
        window_bytes += args.batch * args.seq_len
        loss_sum += loss.detach().double()
        loss_count += 1
        if step % args.log_every == 0 or step == args.steps:
            mean = run.all_sum([loss_sum.item() / loss_count])[0] / run.world
            now = time.perf_counter()
            history.append({"step": step, "train_loss": mean})
            run.log(f"step {step}/{args.steps}", loss=mean, lr=lr,
                    bytes_per_s=round(window_bytes / max(now - window_start, 1e-9)))
            window_start, window_bytes, loss_sum, loss_count = now, 0, loss_sum * 0, 0
        if step % args.val_every == 0 or step == args.steps:
            v = run.validate(model, corpus)
            history.append({"step": step, "val": v})
            if best is None or v["nats_per_byte"] < best["nats_per_byte"]:
                best = {"step": step, "nats_per_byte": v["nats_per_byte"],
                        "model": {k: t.detach().cpu().clone() for k, t in model.state_dict().items()}}
            run.log(f"validation at step {step}", nats_per_byte=v["nats_per_byte"],
                    nats_per_char=v["nats_per_char"], best_step=best["step"])
            checkpoint()
            window_start = time.perf_counter()
    if ck is not None and step == ck["step"]:
        run.log(f"the checkpoint is at step {step}, the last of --steps {args.steps}: nothing to train")
    if args.export and run.rank == 0:
        kept = model
        kept_step = step
        if args.keep == "best" and best is not None:
            kept = CharLM(model.config)
            kept.load_state_dict(best["model"])
            kept_step = best["step"]
        meta = dict(metadata)
        meta.update({"trained_by": "recur_torch", "train_steps": str(step), "kept_step": str(kept_step),
                     "train_seconds": f"{elapsed:.1f}", "seq_len": str(args.seq_len), "batch": str(args.batch),
                     "seed": str(args.seed), "ranks": str(run.world)})
        if best is not None:
            meta["val_loss"] = f"{best['nats_per_byte']:.4f}"
        save_recur(kept.cpu(), args.export, half=args.half, metadata=meta)
        run.log(f"exported {args.export} (weights of step {kept_step}, {'float16' if args.half else 'float32'})")


if __name__ == "__main__":
    sys.exit(main())
