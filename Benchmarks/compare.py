#!/usr/bin/env python3
"""Merge recur-bench and pytorch_baseline.py JSON into the README's Markdown tables.

usage: compare.py recur.json pytorch.json
Speed-up is PyTorch time / Recur time (or Recur rate / PyTorch rate): above 1 means Recur is faster. The targets
(issue 14) are checked on the default precision (int8) with the default 2 threads, and every miss is listed.
"""
import json
import sys

# key, label, unit, lower is better, target speed-up against PyTorch, absolute limit (same unit) or None
MEASURES = [
    ("step_b1_us", "one step at batch 1 (with next-byte distribution)", "µs", True, 12.0, None),
    ("prime_2000_ms", "priming 2,000 bytes", "ms", True, 2.5, 50.0),
    ("sample_5x40_ms", "5 samples × 40 bytes", "ms", True, 4.0, None),
]
TRAINING = [
    ("train_bytes_per_s", "training LSTM, bytes/s, batch 32, seq 100, 2 threads"),
    ("train_bytes_per_s_gru", "training GRU, bytes/s, batch 32, seq 100, 2 threads"),
]
PRECISIONS = [("f32", "float32 (BLAS)"), ("f16", "float16"), ("int8", "int8")]
DEFAULT = ("int8", 2)


def fmt(value, unit):
    return f"{value:,.0f}" if unit == "B/s" else f"{value:,.1f}" if value >= 10 else f"{value:,.2f}"


def main():
    recur = json.load(open(sys.argv[1]))
    torch = json.load(open(sys.argv[2]))
    m = recur.get("machine", {})
    flags = ", ".join(f"{name} {'yes' if m.get(key) else 'no'}" for key, name in
                      [("avx2", "AVX2"), ("avx512f", "AVX-512"), ("avx512_vnni", "VNNI"), ("avx512_bf16", "BF16")])
    print(f"CPU: {m.get('cpu')} (family {m.get('family')}, model {m.get('model')}, {m.get('cores')} cores; {flags}).")
    print(f"Recur kernels: int8 `{m.get('int8_path')}`, training products `{m.get('sgemm_path')}`; "
          f"OpenBLAS core `{m.get('blas_core')}` (OPENBLAS_CORETYPE={m.get('openblas_coretype_env') or 'unset'}), "
          f"used by the float32 rows.")
    print(f"PyTorch {torch.get('torch')} ({torch.get('threads')} threads, oneDNN "
          f"{'on' if torch.get('mkldnn_enabled') else 'off'}), same machine, same run; medians.\n")
    misses = []
    for hidden in sorted(recur["results"], key=int):
        r = recur["results"][hidden]
        t = torch["results"].get(hidden, {})
        print(f"2-layer LSTM (and GRU), hidden {hidden}, embedding 64:\n")
        print("| measure | weights | threads | PyTorch | Recur | speed-up | target |")
        print("|---|---|---:|---:|---:|---:|---|")
        for key, label, unit, lower_better, target, limit in MEASURES:
            for cell, cell_label in [("", ""), ("_gru", " (GRU)")]:
                for precision, precision_label in PRECISIONS if not cell else [("int8", "int8")]:
                    for threads in (1, 2):
                        k = f"{key}{cell}_{precision}_t{threads}"
                        if k not in r:
                            continue
                        base = t.get(key) if not cell else None
                        ratio = (base / r[k] if lower_better else r[k] / base) if base else None
                        is_default = (precision, threads) == DEFAULT and not cell
                        target_text = ""
                        if is_default:
                            target_text = f"≥ {target:g}×" + (f", ≤ {limit:g} {unit}" if limit else "")
                            if ratio is not None and ratio < target:
                                misses.append(f"H={hidden} {label}: {ratio:.2f}× against ≥ {target:g}×")
                            if limit and r[k] > limit:
                                misses.append(f"H={hidden} {label}: {r[k]:.1f} {unit} against ≤ {limit:g} {unit}")
                        print(f"| {label}{cell_label} | {precision_label} | {threads} | "
                              f"{fmt(base, unit) + ' ' + unit if base else '—'} | {fmt(r[k], unit)} {unit} | "
                              f"{f'{ratio:.2f}×' if ratio else '—'} | {target_text} |")
        for key, label in TRAINING:
            if key in r and key in t:
                ratio = r[key] / t[key]
                if ratio < 1.3:
                    misses.append(f"H={hidden} {label}: {ratio:.2f}× against ≥ 1.3×")
                print(f"| {label} | float32 | 2 | {t[key]:,.0f} B/s | {r[key]:,.0f} B/s | {ratio:.2f}× | ≥ 1.3× |")
        print()
        # Roofline for the batch-1 step: bytes of weights a step reads, over its time, against streaming reads.
        lines = []
        for precision, _ in PRECISIONS:
            for threads in (1, 2):
                k = f"step_b1_us_{precision}_t{threads}"
                if k in r and f"step_weight_bytes_{precision}_t{threads}" in r:
                    gbs = r[f"step_weight_bytes_{precision}_t{threads}"] / (r[k] * 1e-6) / 1e9
                    lines.append(f"{precision} on {threads}: {gbs:.1f} GB/s")
        if lines and "l2_read_gb_per_s" in m:
            print(f"Roofline, batch-1 step (weight bytes per step ÷ step time): {'; '.join(lines)}. "
                  f"Streaming reads on one core: L2 {m['l2_read_gb_per_s']:.1f} GB/s, "
                  f"L3 {m['l3_read_gb_per_s']:.1f} GB/s.\n")
    print("Misses: " + ("none." if not misses else "; ".join(misses) + "."))


if __name__ == "__main__":
    main()
