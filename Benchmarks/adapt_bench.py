#!/usr/bin/env python3
"""Completion latency of `recur serve` while it adapts a profile in the background, against the same daemon idle.

  python3 Benchmarks/adapt_bench.py [--recur .build/release/recur] [--text FILE] [--corpus DIR] [--steps 300]
Types held-out text into a 100 KB document with a completion after every keystroke: first with no training (the
baseline, same run), then while `recur/adapt` fine-tunes on --corpus (default: Recur's own Sources/) in a scratch
store. Reports p50/p95/p99 of both phases, and the adaptation's steps, time and validation loss before and after.
"""
import argparse
import json
import pathlib
import tempfile
import time

from serve_bench import ROOT, Client, percentiles, position_at_end


def type_and_complete(client, uri, typed, version, end):
    latencies = []
    for ch in typed:
        version += 1
        pos = dict(end)
        client.notify("textDocument/didChange", {
            "textDocument": {"uri": uri, "version": version},
            "contentChanges": [{"range": {"start": pos, "end": pos}, "text": ch}]})
        if ch == "\n":
            end = {"line": end["line"] + 1, "character": 0}
        else:
            end = {"line": end["line"], "character": end["character"] + len(ch.encode("utf-16-le")) // 2}
        start = time.perf_counter()
        response = client.request("textDocument/completion", {"textDocument": {"uri": uri}, "position": end})
        latencies.append((time.perf_counter() - start) * 1000)
        assert "result" in response, response
    return latencies, version, end


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--recur", default=str(ROOT / ".build" / "release" / "recur"))
    ap.add_argument("--text", default=str(ROOT / "README.md"), help="text to type (and to fill the document with)")
    ap.add_argument("--corpus", default=str(ROOT / "Sources"), help="what the profile adapts on")
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--chunk", type=int, default=500, help="keystrokes per measurement chunk")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    text = pathlib.Path(args.text).read_text()
    base = (text * (100_000 // len(text) + 1))[:100_000]
    typed = (text * (args.chunk * 400 // len(text) + 1))[: args.chunk * 400]
    store = pathlib.Path(tempfile.mkdtemp(prefix="recur-adapt-bench-")) / "recur.sqlite"
    client = Client(args.recur, ("serve", "--store", str(store), "--allow-any-path"))
    client.request("initialize", {"capabilities": {}, "initializationOptions": {"profile": "bench"}})
    client.notify("initialized", {})
    uri = "file:///adapt-bench.txt"
    client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "plaintext", "version": 1,
                                                            "text": base}})
    end, version = position_at_end(base), 1
    cursor = 0
    idle, version, end = type_and_complete(client, uri, typed[cursor:cursor + args.chunk * 2], version, end)
    cursor += args.chunk * 2

    started = time.perf_counter()
    job = client.request("recur/adapt", {"paths": [args.corpus], "steps": args.steps})
    assert "result" in job, job
    during = []
    finished = None
    while finished is None and cursor + 2 * args.chunk <= len(typed):
        chunk, version, end = type_and_complete(client, uri, typed[cursor:cursor + args.chunk], version, end)
        cursor += args.chunk
        during += chunk
        finished = next((m for m in client.notifications if m.get("method") == "recur/adaptFinished"), None)
    while finished is None:
        time.sleep(0.5)
        client.request("recur/status", {})
        finished = next((m for m in client.notifications if m.get("method") == "recur/adaptFinished"), None)
    wall = time.perf_counter() - started
    status = client.request("recur/status", {})["result"]
    after, version, end = type_and_complete(client, uri, typed[cursor:cursor + args.chunk], version, end)
    client.close()

    result = {
        "idle": percentiles(idle), "during_adaptation": percentiles(during), "after_swap": percentiles(after),
        "adaptation": finished["params"], "adaptation_wall_s": wall,
        "server_reported_during": status.get("completionLatencyDuringAdaptation"),
    }
    if args.json:
        print(json.dumps(result, indent=1))
        return
    print("| phase | requests | p50 ms | p95 ms | p99 ms |")
    print("|---|---:|---:|---:|---:|")
    for phase in ("idle", "during_adaptation", "after_swap"):
        r = result[phase]
        print(f"| {phase.replace('_', ' ')} | {r['requests']} | {r['p50_ms']:.2f} | {r['p95_ms']:.2f} | {r['p99_ms']:.2f} |")
    a = finished["params"]
    print(f"\nadaptation: {a['outcome']}, {a.get('steps')} steps in {wall:.1f} s; {a['message']}")


if __name__ == "__main__":
    main()
