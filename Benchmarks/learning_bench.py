#!/usr/bin/env python3
"""Typing with and without online learning, through the LSP, as an editor drives `recur serve`.

A simulated user types each text into an empty document, one character per `didChange`. At each word, for each
prefix length, it asks for `textDocument/completion`; when one of the first `--top` items (by sortText) is the
word, it accepts it (one keystroke, the rest of the word inserted by one `didChange`) and moves on. The same text
is typed into a daemon with learning off (`--no-online-learning`) and one with it on (the default), each with a
store of its own in a temporary folder. Reported per text and mode: keystroke savings, completion latency
p50/p95/p99 (measured by the client), and for learning on, the bytes learned, updates, and CPU seconds the
learning thread spent per 1,000 typed bytes.

The simulated user types far faster than a person (about a thousand characters a second), so the budget that
caps learning at 32 KB a minute is raised (`learningBudget`) and the learner runs flat out beside the
completions: latency is measured under the heaviest learning load, and what the learner has not learned yet when
a word is typed (it lags by about a line) is not yet in the weights.

With `--pace-ms 60` (a fast typist: 1,000 characters a minute), the learner works between keystrokes as it does
for a person, which is how the README's latency while learning is measured (on fewer bytes: 25 minutes a text
otherwise).

  python3 Benchmarks/learning_bench.py [--recur .build/release/recur] [--bytes 30000] [--pace-ms 0] [--json]
      [FILES...]
Without FILES: the first bytes of Recur's own Swift sources (a project outside the training corpora), and the
last bytes (inside the held-out 10% tails) of the Python standard library and Pride and Prejudice.
"""
import argparse
import json
import pathlib
import shutil
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from serve_bench import Client, percentiles  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
CORPORA = ROOT.parent / "shared" / "corpora" / "train"


def is_word(ch):
    return ch.isalnum() or ch == "_" or ord(ch) >= 0x80


def utf16(text):
    return len(text.encode("utf-16-le")) // 2


class Typist:
    """Types into one document of one daemon, keeping the end position."""

    def __init__(self, client, uri, pace=0.0):
        self.client, self.uri, self.pace = client, uri, pace
        self.version = 1
        self.line, self.character = 0, 0
        client.notify("textDocument/didOpen",
                      {"textDocument": {"uri": uri, "languageId": "plaintext", "version": 1, "text": ""}})

    def insert(self, text):
        if self.pace:
            time.sleep(self.pace)
        at = {"line": self.line, "character": self.character}
        self.version += 1
        self.client.notify("textDocument/didChange", {
            "textDocument": {"uri": self.uri, "version": self.version},
            "contentChanges": [{"range": {"start": at, "end": at}, "text": text}]})
        parts = text.split("\n")
        if len(parts) > 1:
            self.line += len(parts) - 1
            self.character = utf16(parts[-1])
        else:
            self.character += utf16(text)

    def completions(self, top):
        params = {"textDocument": {"uri": self.uri}, "position": {"line": self.line, "character": self.character}}
        start = time.perf_counter()
        response = self.client.request("textDocument/completion", params)
        elapsed = (time.perf_counter() - start) * 1000
        items = response["result"]["items"]
        items.sort(key=lambda item: item.get("sortText", ""))
        return [item["label"] for item in items[:top]], elapsed


def simulate(recur, text, learning, top, pace=0.0):
    folder = tempfile.mkdtemp(prefix="recur-learning-bench-")
    arguments = ["serve", "--store", str(pathlib.Path(folder) / "store.sqlite"), "--profile", "bench"]
    if not learning:
        arguments.append("--no-online-learning")
    client = Client(recur, arguments)
    client.request("initialize", {"capabilities": {}, "initializationOptions": {"learningBudget": 100_000_000}})
    client.notify("initialized", {})
    typist = Typist(client, "file:///typed.txt", pace)
    latencies = []
    without = with_completion = accepted = 0
    i = 0
    started = time.perf_counter()
    while i < len(text):
        if not is_word(text[i]):
            typist.insert(text[i])
            without += 1
            with_completion += 1
            i += 1
            continue
        end = i
        while end < len(text) and is_word(text[end]):
            end += 1
        word = text[i:end]
        without += len(word)
        done = False
        for typed in range(len(word)):
            if typed > 0:
                typist.insert(word[typed - 1])
            labels, ms = typist.completions(top)
            latencies.append(ms)
            if word in labels:
                typist.insert(word[typed:])
                with_completion += typed + 1
                accepted += 1
                done = True
                break
        if not done:
            typist.insert(word[-1])
            with_completion += len(word)
        i = end
    typing_seconds = time.perf_counter() - started
    status = client.request("recur/status", None)["result"]
    learned = status.get("onlineLearning") or {}
    client.close()
    shutil.rmtree(folder, ignore_errors=True)
    result = {"learning": learning, "bytes": len(text.encode()), "keystrokes_without": without,
              "keystrokes_with": with_completion, "accepted": accepted,
              "savings": 1 - with_completion / max(1, without), "typing_seconds": typing_seconds,
              "latency": percentiles(latencies)}
    if learning:
        result.update({"bytes_learned": learned.get("bytesLearned"), "updates": learned.get("updates"),
                       "bytes_queued_at_end": learned.get("bytesQueued"),
                       "learning_cpu_seconds": learned.get("learningSeconds"),
                       "cpu_seconds_per_1000_bytes": learned.get("learningSeconds", 0) / (len(text.encode()) / 1000)})
    return result


def default_texts(size):
    sources = "".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "Sources").rglob("*.swift")))
    texts = [("Recur's Swift sources (unseen project)", sources.encode()[:size].decode("utf-8", "ignore"))]
    for label, path in [("Python stdlib (held-out tail)", CORPORA / "code_python311_stdlib.txt"),
                        ("Pride and Prejudice (held-out tail)", CORPORA / "prose_books" / "pride_and_prejudice.txt")]:
        if path.exists():
            texts.append((label, path.read_bytes()[-size:].decode("utf-8", "ignore")))
    return texts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--recur", default=str(ROOT / ".build" / "release" / "recur"))
    ap.add_argument("--bytes", type=int, default=30_000, help="bytes typed per text")
    ap.add_argument("--top", type=int, default=3, help="completions the simulated user looks at")
    ap.add_argument("--pace-ms", type=float, default=0,
                    help="pause before each keystroke, as a person types (0: as fast as the daemon answers)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("files", nargs="*")
    args = ap.parse_args()
    texts = ([(f, pathlib.Path(f).read_bytes()[:args.bytes].decode("utf-8", "ignore")) for f in args.files]
             if args.files else default_texts(args.bytes))
    results = []
    for label, text in texts:
        for learning in (False, True):
            r = simulate(args.recur, text, learning, args.top, args.pace_ms / 1000)
            r["text"] = label
            results.append(r)
            print(f"{label}, learning {'on' if learning else 'off'}: savings {r['savings'] * 100:.1f}%, "
                  f"p50 {r['latency']['p50_ms']:.2f} ms, p99 {r['latency']['p99_ms']:.2f} ms", file=sys.stderr)
    if args.json:
        print(json.dumps(results, indent=1))
        return
    print(f"| text | learning | keystroke savings (top {args.top}) | p50 | p95 | p99 | bytes learned | updates "
          "| learning CPU s / 1,000 bytes |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        lat = r["latency"]
        extra = (f"{r['bytes_learned']} | {r['updates']} | {r['cpu_seconds_per_1000_bytes']:.3f}" if r["learning"]
                 else "| | ")
        print(f"| {r['text']} | {'on' if r['learning'] else 'off'} | {r['savings'] * 100:.1f}% | "
              f"{lat['p50_ms']:.2f} ms | {lat['p95_ms']:.2f} ms | {lat['p99_ms']:.2f} ms | {extra} |")


if __name__ == "__main__":
    sys.exit(main())
