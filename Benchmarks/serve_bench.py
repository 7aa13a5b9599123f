#!/usr/bin/env python3
"""Latency and memory of `recur serve`, measured from a client process over pipes, as an editor sees them.

Simulates typing held-out text at the end of a document and asks for a completion after every keystroke.
  python3 Benchmarks/serve_bench.py [--recur .build/release/recur] [--text FILE] [--typed 5000] [--json]
                                    [--inline] [--init '{"inlineMinProbability": 0}']
--inline times ghost text (inline completions, as typing triggers them) instead of completion lists.
Reports p50/p95/p99 per completion request for documents of 1 KB, 100 KB and 10 MB, the time to the first
completion after opening a 100 KB document, and the daemon's RSS with 100 open 100 KB documents.
"""
import argparse
import os
import json
import pathlib
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]


def read_message(stream):
    """One LSP-framed message from `stream`, parsed; None at end of input."""
    length = None
    while True:
        line = stream.readline()
        if not line:
            return None
        if line in (b"\r\n", b"\n"):
            break
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return json.loads(stream.read(length))


class Client:
    def __init__(self, recur, arguments=("serve",)):
        self.proc = subprocess.Popen([recur, *arguments], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL)
        self.next_id = 0
        self.notifications = []  # messages that were not the awaited response, in order

    def send(self, message):
        body = json.dumps(message).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def read(self):
        message = read_message(self.proc.stdout)
        if message is None:
            raise EOFError("recur closed its output")
        return message

    def request(self, method, params):
        self.next_id += 1
        rid = self.next_id
        self.send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        while True:
            message = self.read()
            if message.get("id") == rid and "method" not in message:
                return message
            self.notifications.append(message)

    def notify(self, method, params):
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def close(self):
        self.request("shutdown", None)
        self.notify("exit", None)
        self.proc.wait(timeout=30)


def position_at_end(text):
    lines = text.split("\n")
    return {"line": len(lines) - 1, "character": len(lines[-1].encode("utf-16-le")) // 2}


def typing_latencies(client, uri, base, typed, inline=False):
    client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "plaintext", "version": 1,
                                                            "text": base}})
    # Track the end position incrementally: rescanning a 10 MB string per keystroke would time the client.
    end = position_at_end(base)
    latencies = []
    for i, ch in enumerate(typed):
        pos = dict(end)
        client.notify("textDocument/didChange", {
            "textDocument": {"uri": uri, "version": i + 2},
            "contentChanges": [{"range": {"start": pos, "end": pos}, "text": ch}]})
        if ch == "\n":
            end = {"line": end["line"] + 1, "character": 0}
        else:
            end = {"line": end["line"], "character": end["character"] + len(ch.encode("utf-16-le")) // 2}
        params = {"textDocument": {"uri": uri}, "position": end}
        if inline:  # ghost text as typing triggers it
            params["context"] = {"triggerKind": 2}
        start = time.perf_counter()
        response = client.request("textDocument/inlineCompletion" if inline else "textDocument/completion", params)
        latencies.append((time.perf_counter() - start) * 1000)
        assert "result" in response, response
    client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    return latencies


def cpu_seconds(pid):
    """User plus system CPU seconds of every thread of process `pid`, from /proc."""
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentiles(values):
    s = sorted(values)
    pick = lambda q: s[min(len(s) - 1, max(0, int(round(q / 100 * len(s) + 0.5)) - 1))]
    return {"p50_ms": pick(50), "p95_ms": pick(95), "p99_ms": pick(99), "mean_ms": statistics.fmean(s),
            "requests": len(s)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--recur", default=str(ROOT / ".build" / "release" / "recur"))
    ap.add_argument("--text", help="held-out text to type and to fill documents with (default: Recur's sources)")
    ap.add_argument("--typed", type=int, default=5000, help="characters typed per document size")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--inline", action="store_true",
                    help="time ghost text (textDocument/inlineCompletion, Automatic) instead of completion lists")
    ap.add_argument("--init", default="{}", help="initializationOptions, as JSON (e.g. '{\"inlineMinProbability\": 0}')")
    ap.add_argument("serve_args", nargs="*", help="more arguments for `recur serve` (after --)")
    args = ap.parse_args()

    if args.text:
        source = pathlib.Path(args.text).read_text(encoding="utf-8")
    else:
        source = "".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "Sources").rglob("*.swift")))
    typed = source[-args.typed:]
    filler = source[:-args.typed] or source

    def document(size):
        repeated = filler * (size // max(len(filler), 1) + 1)
        return repeated[:size]

    startups = []
    for _ in range(5):
        start = time.perf_counter()
        probe = Client(args.recur)
        probe.request("initialize", {"capabilities": {}})
        startups.append((time.perf_counter() - start) * 1000)
        probe.close()
    results_startup = statistics.median(startups)

    client = Client(args.recur, arguments=("serve", *args.serve_args))
    client.request("initialize", {"capabilities": {}, "initializationOptions": json.loads(args.init)})
    client.notify("initialized", {})
    results = {"startup_to_initialize_ms": results_startup}
    # Idle: the model loaded (one completion on a one-line document, then closed), nothing open.
    client.notify("textDocument/didOpen", {"textDocument": {"uri": "file:///idle.txt", "languageId": "plaintext",
                                                            "version": 1, "text": "hello wor"}})
    client.request("textDocument/completion", {"textDocument": {"uri": "file:///idle.txt"},
                                               "position": {"line": 0, "character": 9}})
    client.notify("textDocument/didClose", {"textDocument": {"uri": "file:///idle.txt"}})
    results["rss_idle_MB"] = client.request("recur/status", None)["result"]["residentMemoryBytes"] / 1e6
    for label, size, count in [("1KB", 1_000, args.typed), ("100KB", 100_000, args.typed),
                               ("10MB", 10_000_000, min(args.typed, 1000))]:
        base = document(size)
        results[label] = percentiles(
            typing_latencies(client, f"file:///bench-{label}.txt", base, typed[:count], inline=args.inline))
    uri = "file:///steps.txt"
    base = document(100_000)
    client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "plaintext", "version": 1,
                                                            "text": base}})
    client.request("textDocument/completion", {"textDocument": {"uri": uri}, "position": position_at_end(base)})
    before = client.request("recur/status", None)["result"]["stateSteps"]
    end = position_at_end(base)
    keystrokes = typed[:200].replace("\n", " ")
    for i, ch in enumerate(keystrokes):
        client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": i + 2},
                                                 "contentChanges": [{"range": {"start": end, "end": end}, "text": ch}]})
        end = {"line": end["line"], "character": end["character"] + len(ch.encode("utf-16-le")) // 2}
        client.request("textDocument/completion", {"textDocument": {"uri": uri}, "position": end})
    after = client.request("recur/status", None)["result"]["stateSteps"]
    results["state_steps_per_keystroke"] = (after - before) / len(keystrokes)
    client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})

    # Time to the first completion after opening a 100 KB document.
    base = document(100_000)
    start = time.perf_counter()
    client.notify("textDocument/didOpen", {"textDocument": {"uri": "file:///first.txt", "languageId": "plaintext",
                                                            "version": 1, "text": base}})
    client.request("textDocument/completion", {"textDocument": {"uri": "file:///first.txt"},
                                               "position": position_at_end(base)})
    results["first_completion_100KB_ms"] = (time.perf_counter() - start) * 1000

    # Memory with 100 open 100 KB documents, each with a completion requested at its end.
    for i in range(100):
        text = document(100_000 - i)
        uri = f"file:///many-{i}.txt"
        client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "plaintext", "version": 1,
                                                                "text": text}})
        client.request("textDocument/completion", {"textDocument": {"uri": uri}, "position": position_at_end(text)})
    status = client.request("recur/status", None)["result"]
    results["rss_100_docs_MB"] = status["residentMemoryBytes"] / 1e6
    # CPU while idle: the kernels' worker threads spin briefly after a product, then park.
    time.sleep(1)
    before = cpu_seconds(client.proc.pid)
    time.sleep(5)
    results["idle_cpu_percent"] = (cpu_seconds(client.proc.pid) - before) / 5 * 100
    results["server_p50_ms"] = status["completionLatency"]["p50Milliseconds"]
    results["server_p99_ms"] = status["completionLatency"]["p99Milliseconds"]
    client.close()

    if args.json:
        print(json.dumps(results, indent=1))
        return
    print("| document | p50 | p95 | p99 | requests |")
    print("|---|---:|---:|---:|---:|")
    for label in ["1KB", "100KB", "10MB"]:
        r = results[label]
        print(f"| {label} | {r['p50_ms']:.2f} ms | {r['p95_ms']:.2f} ms | {r['p99_ms']:.2f} ms | {r['requests']} |")
    print(f"\nstart-up to the initialize response (median of 5): {results['startup_to_initialize_ms']:.1f} ms")
    print(f"time to first completion after opening 100 KB: {results['first_completion_100KB_ms']:.1f} ms")
    print(f"RSS at idle with the model loaded: {results['rss_idle_MB']:.1f} MB")
    print(f"RSS with 100 open 100 KB documents: {results['rss_100_docs_MB']:.1f} MB")
    print(f"CPU while idle (5 s after the last request): {results['idle_cpu_percent']:.2f}%")
    print(f"RNN steps per keystroke to keep the state current: {results['state_steps_per_keystroke']:.2f}")


if __name__ == "__main__":
    sys.exit(main())
