#!/usr/bin/env python3
"""Stall benchmark: does a pathological document delay another one's completions?

One connection (as one editor). Document A is typed into, with a completion after every keystroke, measured at
the client. Meanwhile document B receives, phase by phase:
  1. a 10 MB line that is one word, with completions at its end;
  2. a 50 MB paste, then completions at its end;
  3. 1,000 random cursor jumps, each with a completion.
Goals (issue 12): A's p99 <= 15 ms in every phase, each of B's requests answered in <= 1 s.

  python3 Benchmarks/stall_bench.py [--recur .build/release/recur] [--json out.json]
"""
import argparse
import json
import pathlib
import random
import subprocess
import sys
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "Benchmarks"))
from serve_bench import percentiles, position_at_end, read_message  # noqa: E402


class PipelinedClient:
    """Requests may overlap: a reader thread hands each response to whoever waits for its id."""

    def __init__(self, recur):
        self.proc = subprocess.Popen([recur, "serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL)
        self.lock = threading.Lock()
        self.next_id = 0
        self.waiting = {}  # id -> [event, response]
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        while (message := read_message(self.proc.stdout)) is not None:
            slot = self.waiting.get(message.get("id")) if "method" not in message else None
            if slot:
                slot[1] = message
                slot[0].set()

    def send(self, message):
        body = json.dumps(message).encode()
        with self.lock:
            self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            self.proc.stdin.flush()

    def start(self, method, params):
        with self.lock:
            self.next_id += 1
            rid = self.next_id
            self.waiting[rid] = [threading.Event(), None]
        self.send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        return rid

    def wait(self, rid, timeout=120):
        slot = self.waiting[rid]
        if not slot[0].wait(timeout):
            raise TimeoutError(f"request {rid} unanswered after {timeout} s")
        del self.waiting[rid]
        return slot[1]

    def request(self, method, params):
        return self.wait(self.start(method, params))

    def notify(self, method, params):
        self.send({"jsonrpc": "2.0", "method": method, "params": params})


def completion(client, uri, position):
    return client.start("textDocument/completion", {"textDocument": {"uri": uri}, "position": position})


def run_phase(client, name, base_a, keystrokes, load_b):
    """Types `keystrokes` bytes into A while `load_b(stop)` runs in a thread; returns both sides' latencies."""
    uri_a = f"file:///a-{name}.txt"
    client.notify("textDocument/didOpen", {"textDocument": {"uri": uri_a, "languageId": "plaintext", "version": 1,
                                                            "text": base_a}})
    end = position_at_end(base_a)
    b_latencies = []
    stop = threading.Event()
    loader = threading.Thread(target=load_b, args=(stop, b_latencies))
    loader.start()
    a_latencies = []
    typed = ("and so it went on, day after day, " * 20)[:keystrokes]
    for i, ch in enumerate(typed):
        pos = dict(end)
        client.notify("textDocument/didChange", {"textDocument": {"uri": uri_a, "version": i + 2},
                                                 "contentChanges": [{"range": {"start": pos, "end": pos},
                                                                     "text": ch}]})
        end = {"line": end["line"], "character": end["character"] + 1}
        started = time.perf_counter()
        response = client.wait(completion(client, uri_a, end))
        a_latencies.append((time.perf_counter() - started) * 1000)
        assert "result" in response, response
        time.sleep(0.03)  # a fast typist: ~33 keystrokes per second
    stop.set()
    loader.join()
    client.notify("textDocument/didClose", {"textDocument": {"uri": uri_a}})
    return {"A": percentiles(a_latencies), "B": percentiles(b_latencies) | {"max_ms": max(b_latencies)}}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recur", default=str(ROOT / ".build/release/recur"))
    parser.add_argument("--keystrokes", type=int, default=300)
    parser.add_argument("--json")
    args = parser.parse_args()
    client = PipelinedClient(args.recur)
    client.request("initialize", {"capabilities": {}})
    client.notify("initialized", {})
    base_a = (ROOT / "README.md").read_text()[:20000] + "\n"
    rng = random.Random(1)

    def timed(uri, position, out):
        started = time.perf_counter()
        response = client.wait(completion(client, uri, position))
        out.append((time.perf_counter() - started) * 1000)
        assert "result" in response, response

    def word_line(stop, out):
        uri = "file:///blob.js"
        client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "javascript", "version": 1,
                                                                "text": "a" * 10_000_000}})
        while not stop.is_set():
            timed(uri, {"line": 0, "character": 10_000_000}, out)
            time.sleep(0.05)

    def paste(stop, out):
        uri = "file:///paste.txt"
        client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "plaintext", "version": 1,
                                                                "text": "start\n"}})
        pasted = ("the fifty megabyte paste goes on and on " * 1_250_000) + "\n"
        at = {"line": 1, "character": 0}
        started = time.perf_counter()
        client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2},
                                                 "contentChanges": [{"range": {"start": at, "end": at},
                                                                     "text": pasted}]})
        timed(uri, {"line": 2, "character": 0}, out)
        out[-1] = (time.perf_counter() - started) * 1000  # the paste and its first answer
        while not stop.is_set():
            timed(uri, {"line": 2, "character": 0}, out)
            time.sleep(0.05)

    def jumps(stop, out):
        uri = "file:///jumps.txt"
        lines = ((ROOT / "README.md").read_text() * 20).split("\n")
        client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "plaintext", "version": 1,
                                                                "text": "\n".join(lines)}})
        for _ in range(1000):
            line = rng.randrange(len(lines))
            timed(uri, {"line": line, "character": rng.randrange(len(lines[line]) + 1)}, out)
        stop.wait()

    results = {
        "10 MB one-word line": run_phase(client, "word", base_a, args.keystrokes, word_line),
        "50 MB paste": run_phase(client, "paste", base_a, args.keystrokes, paste),
        "1,000 cursor jumps": run_phase(client, "jumps", base_a, args.keystrokes, jumps),
    }
    client.request("shutdown", None)
    client.notify("exit", None)
    print("| B's load | A p50 | A p99 | B p50 | B max |")
    print("|---|---:|---:|---:|---:|")
    for name, r in results.items():
        print(f"| {name} | {r['A']['p50_ms']:.2f} | {r['A']['p99_ms']:.2f} | {r['B']['p50_ms']:.2f} | "
              f"{r['B']['max_ms']:.1f} |")
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
