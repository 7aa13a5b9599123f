#!/usr/bin/env python3
"""PyTorch CPU baseline for the Recur byte-level LSTM language model.

Measures the same shapes Recur is benchmarked on: a 2-layer LSTM CharLM with
embedding 64, vocab 256 and hidden H (default 256 and 512).

    python3 Benchmarks/pytorch_baseline.py                       # table
    python3 Benchmarks/pytorch_baseline.py --hidden 256 --repeats 3 --json

Every metric is the median over --repeats independent measurements:

  step_b1_us             one next-byte step at batch 1 with a stack of nn.LSTMCell
                         sharing the model's weights (embedding + 2 cells + head +
                         log_softmax), microseconds per step, under no_grad
  step_b1_nnlstm_us      same, but calling the 2-layer nn.LSTM on a (1,1) input with
                         carried (h, c) each step (the known slow path)
  prime_2000_ms          one model.rnn call on a (1, 2000) embedded sequence (no head),
                         milliseconds; prime_2000_nomkldnn_ms with mkldnn disabled
  sample_5x40_ms         from a state primed on 100 bytes, sample 5 x 40 bytes as a
                         batch of 5 (LSTMCell stack, softmax at temperature 1,
                         multinomial), milliseconds for the whole generation
  train_bytes_per_s      batch 32 x seq 100 random windows of a 1 MB random corpus,
                         Adam lr 2e-3, forward + mean CE + backward +
                         clip_grad_norm_(1.0) + step; 32*100*steps / seconds
  train_bytes_per_s_gru  the same for a 2-layer GRU of the same width
"""

import argparse
import json
import os
import statistics
import sys
import time
import warnings

import torch
import torch.nn as nn
import torch.nn.functional as F

VOCAB = 256
EMBEDDING = 64
LAYERS = 2

# torch.backends.mkldnn.flags() warns about oneDNN TF32 on CPU-only builds; harmless.
warnings.filterwarnings("ignore", message=".*TF32 acceleration.*")


class CharLM(nn.Module):
    def __init__(self, cell, layers, hidden, embedding, vocab=VOCAB):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embedding)
        rnn_cls = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[cell]
        self.rnn = rnn_cls(embedding, hidden, num_layers=layers, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, x):
        out, _ = self.rnn(self.embedding(x))
        return self.head(out)


def cell_stack(model):
    """nn.LSTMCell per layer, with weights copied from model.rnn."""
    rnn = model.rnn
    cells = []
    for k in range(rnn.num_layers):
        in_size = rnn.input_size if k == 0 else rnn.hidden_size
        cell = nn.LSTMCell(in_size, rnn.hidden_size)
        with torch.no_grad():
            cell.weight_ih.copy_(getattr(rnn, f"weight_ih_l{k}"))
            cell.weight_hh.copy_(getattr(rnn, f"weight_hh_l{k}"))
            cell.bias_ih.copy_(getattr(rnn, f"bias_ih_l{k}"))
            cell.bias_hh.copy_(getattr(rnn, f"bias_hh_l{k}"))
        cells.append(cell)
    return cells


def cells_step(model, cells, x, state):
    """One step for a batch of bytes x (B,). state: list of (h, c) per layer."""
    inp = model.embedding(x)
    new_state = []
    for cell, (h, c) in zip(cells, state):
        h, c = cell(inp, (h, c))
        new_state.append((h, c))
        inp = h
    return inp, new_state


def zero_state(batch, hidden, layers=LAYERS):
    return [(torch.zeros(batch, hidden), torch.zeros(batch, hidden)) for _ in range(layers)]


def check_cells_match(model, cells, hidden):
    """Sanity check: LSTMCell stack reproduces nn.LSTM on a short sequence."""
    g = torch.Generator().manual_seed(7)
    x = torch.randint(0, VOCAB, (1, 12), generator=g)
    with torch.no_grad():
        ref = model(x)[0]
        state = zero_state(1, hidden)
        outs = []
        for t in range(x.shape[1]):
            top, state = cells_step(model, cells, x[:, t], state)
            outs.append(model.head(top)[0])
        got = torch.stack(outs)
    err = (ref - got).abs().max().item()
    if err > 1e-4:
        raise SystemExit(f"LSTMCell stack disagrees with nn.LSTM (max err {err})")


def bench_step_b1(model, cells, hidden, steps):
    g = torch.Generator().manual_seed(1)
    xs = torch.randint(0, VOCAB, (steps + 10, 1), generator=g)
    with torch.no_grad():
        state = zero_state(1, hidden)
        for i in range(10):  # warm-up
            top, state = cells_step(model, cells, xs[i], state)
            F.log_softmax(model.head(top), dim=-1)
        state = zero_state(1, hidden)
        t0 = time.perf_counter()
        for i in range(steps):
            top, state = cells_step(model, cells, xs[i], state)
            logp = F.log_softmax(model.head(top), dim=-1)
        dt = time.perf_counter() - t0
    assert logp.shape == (1, VOCAB)
    return dt / steps * 1e6


def bench_step_b1_nnlstm(model, hidden, steps):
    g = torch.Generator().manual_seed(2)
    xs = torch.randint(0, VOCAB, (steps + 10, 1, 1), generator=g)
    with torch.no_grad():
        state = (torch.zeros(LAYERS, 1, hidden), torch.zeros(LAYERS, 1, hidden))
        for i in range(10):
            out, state = model.rnn(model.embedding(xs[i]), state)
            F.log_softmax(model.head(out[:, -1]), dim=-1)
        state = (torch.zeros(LAYERS, 1, hidden), torch.zeros(LAYERS, 1, hidden))
        t0 = time.perf_counter()
        for i in range(steps):
            out, state = model.rnn(model.embedding(xs[i]), state)
            logp = F.log_softmax(model.head(out[:, -1]), dim=-1)
        dt = time.perf_counter() - t0
    assert logp.shape == (1, VOCAB)
    return dt / steps * 1e6


def bench_prime(model, length, mkldnn):
    g = torch.Generator().manual_seed(3)
    x = torch.randint(0, VOCAB, (1, length), generator=g)
    with torch.no_grad(), torch.backends.mkldnn.flags(enabled=mkldnn):
        emb = model.embedding(x)
        model.rnn(emb[:, :50])  # warm-up (shape-independent setup)
        t0 = time.perf_counter()
        _, (h, c) = model.rnn(emb)
        dt = time.perf_counter() - t0
    assert h.shape[0] == LAYERS
    return dt * 1e3


def bench_sample(model, cells, hidden, prompt_len=100, samples=5, length=40, seed=4):
    g = torch.Generator().manual_seed(seed)
    prompt = torch.randint(0, VOCAB, (1, prompt_len), generator=g)
    with torch.no_grad():
        _, (h, c) = model.rnn(model.embedding(prompt))
        # Expand the primed state to a batch of `samples` rows.
        state = [(h[k].expand(samples, hidden).contiguous(),
                  c[k].expand(samples, hidden).contiguous()) for k in range(LAYERS)]
        top = state[-1][0]
        temperature = 1.0
        out = torch.empty(samples, length, dtype=torch.int64)
        t0 = time.perf_counter()
        for t in range(length):
            probs = F.softmax(model.head(top) / temperature, dim=-1)
            nxt = torch.multinomial(probs, 1, generator=g).squeeze(1)
            out[:, t] = nxt
            if t + 1 < length:
                top, state = cells_step(model, cells, nxt, state)
        dt = time.perf_counter() - t0
    return dt * 1e3


def bench_train(model, steps_per_block, blocks, batch=32, seq=100, corpus_bytes=1 << 20):
    g = torch.Generator().manual_seed(5)
    corpus = torch.randint(0, VOCAB, (corpus_bytes,), generator=g)
    offsets = torch.arange(seq + 1)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    model.train()

    def step():
        starts = torch.randint(0, corpus_bytes - seq - 1, (batch, 1), generator=g)
        window = corpus[starts + offsets]  # (batch, seq+1)
        x, y = window[:, :-1], window[:, 1:]
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, VOCAB), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return loss

    for _ in range(3):  # warm-up
        step()
    rates = []
    for _ in range(blocks):
        t0 = time.perf_counter()
        for _ in range(steps_per_block):
            loss = step()
        loss.item()
        dt = time.perf_counter() - t0
        rates.append(batch * seq * steps_per_block / dt)
    model.eval()
    return rates


def run_hidden(hidden, repeats, step_count, train_steps):
    torch.manual_seed(hidden)
    model = CharLM("lstm", LAYERS, hidden, EMBEDDING).eval()
    cells = cell_stack(model)
    check_cells_match(model, cells, hidden)

    samples = {k: [] for k in ("step_b1_us", "step_b1_nnlstm_us", "prime_2000_ms",
                               "prime_2000_nomkldnn_ms", "sample_5x40_ms")}
    for r in range(repeats):
        samples["step_b1_us"].append(bench_step_b1(model, cells, hidden, step_count))
        samples["step_b1_nnlstm_us"].append(bench_step_b1_nnlstm(model, hidden, step_count))
        samples["prime_2000_ms"].append(bench_prime(model, 2000, mkldnn=True))
        samples["prime_2000_nomkldnn_ms"].append(bench_prime(model, 2000, mkldnn=False))
        samples["sample_5x40_ms"].append(bench_sample(model, cells, hidden, seed=4 + r))
    result = {k: statistics.median(v) for k, v in samples.items()}

    # Training: ~train_steps timed steps in total, split into `repeats` blocks,
    # median of per-block throughput (training a fresh copy of the model).
    train_model = CharLM("lstm", LAYERS, hidden, EMBEDDING)
    train_model.load_state_dict(model.state_dict())
    per_block = max(2, -(-train_steps // repeats))
    rates = bench_train(train_model, per_block, repeats)
    result["train_bytes_per_s"] = statistics.median(rates)
    # The same for a GRU of the same width.
    torch.manual_seed(hidden + 1)
    gru_model = CharLM("gru", LAYERS, hidden, EMBEDDING)
    result["train_bytes_per_s_gru"] = statistics.median(bench_train(gru_model, per_block, repeats))
    result["train_steps_timed"] = per_block * repeats
    result["step_count"] = step_count
    return result


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hidden", type=int, nargs="+", default=[256, 512])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--steps", type=int, default=1000,
                    help="batch-1 steps per measurement (halved for H >= 512)")
    ap.add_argument("--train-steps", type=int, default=20,
                    help="timed training steps in total (halved for H >= 512)")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    info = {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "mkldnn_available": torch.backends.mkldnn.is_available(),
        "mkldnn_enabled": bool(torch.backends.mkldnn.enabled),
        "loadavg_1m_before": round(os.getloadavg()[0], 2),
    }
    if info["loadavg_1m_before"] > 0.5:
        print(f"warning: 1-minute load average is {info['loadavg_1m_before']} before starting; "
              "other processes will distort these timings (PyTorch's OpenMP threads are "
              "very sensitive to CPU contention)", file=sys.stderr, flush=True)
    if not args.json:
        print(f"torch {info['torch']}  threads {info['threads']}  "
              f"mkldnn available {info['mkldnn_available']} enabled {info['mkldnn_enabled']}",
              flush=True)

    results = {}
    t_start = time.perf_counter()
    for hidden in args.hidden:
        big = hidden >= 512
        steps = max(50, args.steps // 2) if big else args.steps
        train_steps = max(2, args.train_steps // 2) if big else args.train_steps
        results[str(hidden)] = run_hidden(hidden, args.repeats, steps, train_steps)
        if not args.json:
            print(f"  H={hidden} done ({time.perf_counter() - t_start:.1f} s)",
                  file=sys.stderr, flush=True)

    info["loadavg_1m_after"] = round(os.getloadavg()[0], 2)
    info["seconds"] = round(time.perf_counter() - t_start, 1)
    if args.json:
        print(json.dumps({**info, "results": results}, indent=None))
        return

    rows = [
        ("step_b1_us", "us/step", "batch-1 step, LSTMCell stack + head + log_softmax"),
        ("step_b1_nnlstm_us", "us/step", "batch-1 step, nn.LSTM (1,1) with carried state"),
        ("prime_2000_ms", "ms", "prime 2000 bytes, model.rnn, mkldnn on"),
        ("prime_2000_nomkldnn_ms", "ms", "prime 2000 bytes, model.rnn, mkldnn off"),
        ("sample_5x40_ms", "ms", "5 samples x 40 bytes, batch of 5, T=1"),
        ("train_bytes_per_s", "bytes/s", "train B=32 T=100 Adam + clip"),
    ]
    hs = list(results)
    print(f"\nmedian of {args.repeats} repeats (2-layer LSTM, E={EMBEDDING}), "
          f"{info['seconds']} s, load average {info['loadavg_1m_before']} -> {info['loadavg_1m_after']}")
    header = f"{'metric':26s} {'unit':8s}" + "".join(f"{'H=' + h:>12s}" for h in hs)
    print(header)
    print("-" * len(header))
    for key, unit, _ in rows:
        vals = "".join(f"{results[h][key]:12.1f}" for h in hs)
        print(f"{key:26s} {unit:8s}{vals}")
    print()
    for key, _, desc in rows:
        print(f"  {key}: {desc}")
    print("  timed steps: " + ", ".join(
        f"H={h}: {results[h]['step_count']} b1 steps, {results[h]['train_steps_timed']} train steps"
        for h in hs))


if __name__ == "__main__":
    main()
