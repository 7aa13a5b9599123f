#!/usr/bin/env python3
"""Soak test of `recur serve`: a client process drives the daemon with incremental edits and completion requests
across many documents, with open/close churn, and records the daemon's RSS every 10,000 requests.

  python3 Benchmarks/soak.py [--recur .build/release/recur] [--length short|long] [--json FILE]

long: 1,000,000 edits and 100,000 completions across 50 documents (the issue's soak); short (make bench's
default): a tenth of that. Edits are typed text (inserting a held-out character at the cursor) with a backspace
now and then, a cursor jump now and then, and a multi-line paste now and then; every 10th edit is followed by a
completion request; every 5,000 requests one document is closed and opened again with its current text.

Pass criteria, printed at the end: 0 protocol errors (error responses, window/logMessage errors, unanswered
requests, a document whose text drifted from the client's), and RSS after warm-up (the first fifth of the run)
within +-10% of its median.
"""
import argparse
import json
import pathlib
import random
import statistics
import subprocess
import sys
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]


class Daemon:
    def __init__(self, command):
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.lock = threading.Condition()
        self.responses = {}
        self.errors = []
        self.pending = []
        threading.Thread(target=self._read, daemon=True).start()
        self.stderr_tail = []
        threading.Thread(target=self._drain_stderr, daemon=True).start()

    def _drain_stderr(self):
        for line in self.proc.stderr:
            self.stderr_tail = (self.stderr_tail + [line.decode(errors="replace")])[-20:]

    def _read(self):
        out = self.proc.stdout
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    with self.lock:
                        self.lock.notify_all()
                    return
                if line in (b"\r\n", b"\n"):
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            message = json.loads(out.read(length))
            with self.lock:
                if "method" in message:
                    if message["method"] == "window/logMessage" and message["params"]["type"] <= 2:
                        self.errors.append(message["params"]["message"])
                else:
                    if "error" in message:
                        self.errors.append(json.dumps(message["error"]))
                    self.responses[message.get("id")] = message
                    self.lock.notify_all()

    def send(self, message):
        body = json.dumps(message, separators=(",", ":")).encode()
        self.pending.append(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def flush(self):
        self.proc.stdin.write(b"".join(self.pending))
        self.proc.stdin.flush()
        self.pending = []

    def wait(self, rid, timeout=60):
        self.flush()
        deadline = time.time() + timeout
        with self.lock:
            while rid not in self.responses:
                if time.time() > deadline or self.proc.poll() is not None:
                    return None
                self.lock.wait(0.5)
            return self.responses.pop(rid)

    def rss_kib(self):
        for line in open("/proc/%d/status" % self.proc.pid):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0


def utf16_position(text, offset):
    """LSP position (UTF-16) of a str offset."""
    line = text.count("\n", 0, offset)
    start = text.rfind("\n", 0, offset) + 1
    return {"line": line, "character": len(text[start:offset].encode("utf-16-le")) // 2}


def corpus_texts():
    files = sorted((ROOT / "Sources").rglob("*.swift")) + sorted(ROOT.glob("*.md")) + sorted(
        (ROOT / "Protocol").glob("*.md"))
    return [f.read_text(encoding="utf-8", errors="replace") for f in files]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recur", default=str(ROOT / ".build/release/recur"))
    parser.add_argument("--length", choices=["short", "long"], default="short")
    parser.add_argument("--edits", type=int, help="override the number of edits")
    parser.add_argument("--completions-every", type=int, default=10)
    parser.add_argument("--documents", type=int, default=50)
    parser.add_argument("--json", help="write the samples and the verdict here")
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for the daemon (ASAN_OPTIONS=...)")
    args = parser.parse_args()
    edits_total = args.edits or (1_000_000 if args.length == "long" else 100_000)

    rng = random.Random(7)
    texts = corpus_texts()
    source = "\n".join(texts)
    command = [args.recur, "serve"]
    if args.env:
        command = ["env", *args.env, *command]
    daemon = Daemon(command)
    rid = 0

    def request(method, params):
        nonlocal rid
        rid += 1
        daemon.send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        return rid

    def notify(method, params):
        daemon.send({"jsonrpc": "2.0", "method": method, "params": params})

    first = request("initialize", {"capabilities": {}})
    if daemon.wait(first) is None:
        sys.exit("recur serve did not answer initialize")
    notify("initialized", {})

    documents = []
    for k in range(args.documents):
        text = texts[k % len(texts)][: rng.randint(2_000, 40_000)]
        uri = "file:///soak/doc%02d.txt" % k
        notify("textDocument/didOpen",
               {"textDocument": {"uri": uri, "languageId": "swift", "version": 1, "text": text}})
        documents.append({"uri": uri, "text": text, "cursor": len(text), "version": 1})

    started = time.time()
    samples = []  # (requests, rss KiB, seconds, KiB of text in the open documents)
    latencies = []
    requests = 0
    unanswered = 0
    reopened = 0
    feed = rng.randrange(len(source))
    doc = documents[0]
    next_sample = 10_000
    next_churn = 5_000
    for edit in range(edits_total):
        if edit % 200 == 0:
            doc = documents[rng.randrange(len(documents))]
        text, cursor = doc["text"], doc["cursor"]
        roll = rng.random()
        if roll < 0.08 and cursor > 0:  # backspace
            start, end, insert = cursor - 1, cursor, ""
        elif roll < 0.09:  # jump somewhere else
            doc["cursor"] = cursor = rng.randrange(len(text) + 1)
            start = end = cursor
            insert = source[feed]
        elif roll < 0.0915:  # paste a few lines
            insert = source[feed: feed + rng.randint(50, 400)]
            start = end = cursor
        else:  # type the next character
            insert = source[feed % len(source)]
            start = end = cursor
        feed = (feed + max(1, len(insert))) % (len(source) - 500)
        notify("textDocument/didChange", {
            "textDocument": {"uri": doc["uri"], "version": doc["version"] + 1},
            "contentChanges": [{"range": {"start": utf16_position(text, start), "end": utf16_position(text, end)},
                                "text": insert}]})
        doc["text"] = text[:start] + insert + text[end:]
        doc["cursor"] = start + len(insert)
        doc["version"] += 1
        requests += 1
        if edit % args.completions_every == args.completions_every - 1:
            t0 = time.perf_counter()
            r = request("textDocument/completion",
                        {"textDocument": {"uri": doc["uri"]}, "position": utf16_position(doc["text"], doc["cursor"])})
            if daemon.wait(r) is None:
                unanswered += 1
                break
            latencies.append((time.perf_counter() - t0) * 1000)
            requests += 1
        elif len(daemon.pending) >= 256:
            daemon.flush()
        if requests >= next_sample:
            daemon.flush()
            text_kib = sum(len(d["text"].encode()) for d in documents) / 1024
            samples.append((requests, daemon.rss_kib(), round(time.time() - started, 1), round(text_kib, 1)))
            next_sample += 10_000
            if len(samples) % 10 == 0:
                print("  %8d requests  RSS %6.1f MiB  text %6.1f KiB  %5.0f s" % (
                    samples[-1][0], samples[-1][1] / 1024, samples[-1][3], samples[-1][2]), flush=True)
        if requests >= next_churn:
            next_churn += 5_000
            victim = documents[rng.randrange(len(documents))]
            notify("textDocument/didClose", {"textDocument": {"uri": victim["uri"]}})
            notify("textDocument/didOpen", {"textDocument": {
                "uri": victim["uri"], "languageId": "swift", "version": victim["version"], "text": victim["text"]}})
            reopened += 1

    # The daemon's text must still be the client's: at each document's end (and at a far line, which the server
    # clamps to its own end), a completion item's textEdit covers exactly the word the client has there.
    drift = 0
    checked = 0
    for doc in documents:
        text = doc["text"]
        start = len(text)
        while start > 0 and (text[start - 1].isascii() and (text[start - 1].isalnum() or text[start - 1] == "_")
                             or not text[start - 1].isascii()):
            start -= 1
        expected = {"start": utf16_position(text, start), "end": utf16_position(text, len(text))}
        for position in (expected["end"], {"line": 10 ** 6, "character": 0}):
            r = request("textDocument/completion", {"textDocument": {"uri": doc["uri"]}, "position": position})
            reply = daemon.wait(r)
            items = ((reply or {}).get("result") or {}).get("items", [])
            if reply is None or "error" in reply:
                drift += 1
            elif items:
                checked += 1
                if items[0]["textEdit"]["range"] != expected:
                    drift += 1
    status_id = request("recur/status", None)
    status = (daemon.wait(status_id) or {}).get("result", {})
    shutdown = request("shutdown", None)
    daemon.wait(shutdown)
    notify("exit", None)
    daemon.flush()
    try:
        exit_code = daemon.proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        daemon.proc.kill()
        exit_code = None
    elapsed = time.time() - started

    warm = samples[len(samples) // 5:] or samples
    rss = [s[1] for s in warm]
    median = statistics.median(rss) if rss else 0
    spread = max(abs(r - median) / median for r in rss) if rss else 0
    latencies.sort()

    def pct(p):
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] if latencies else float("nan")

    result = {
        "length": args.length, "edits": edits_total, "completions": len(latencies), "requests": requests,
        "documents": args.documents, "reopened": reopened, "seconds": round(elapsed, 1),
        "protocol_errors": len(daemon.errors) + unanswered, "errors": daemon.errors[:10], "drifted_documents": drift,
        "documents_checked": checked,
        "rss_samples_kib": samples, "rss_median_mib": round(median / 1024, 1),
        "rss_max_deviation": round(spread, 4), "rss_first_mib": round(samples[0][1] / 1024, 1) if samples else None,
        "rss_last_mib": round(samples[-1][1] / 1024, 1) if samples else None,
        "text_first_kib": samples[0][3] if samples else None, "text_last_kib": samples[-1][3] if samples else None,
        "completion_ms": {"p50": round(pct(50), 2), "p95": round(pct(95), 2), "p99": round(pct(99), 2)},
        "exit_code": exit_code, "hidden_states": status.get("hiddenStates"),
        "stderr_tail": daemon.stderr_tail[-5:] if exit_code != 0 else [],
    }
    passed = result["protocol_errors"] == 0 and drift == 0 and spread <= 0.10 and exit_code == 0
    result["passed"] = passed
    print("soak (%s): %d edits, %d completions, %d documents, %d reopened, %.0f s" % (
        args.length, edits_total, len(latencies), args.documents, reopened, elapsed))
    print("  protocol errors %d, text checks %d failed of %d, exit %s" % (
        result["protocol_errors"], drift, checked, exit_code))
    print("  RSS after warm-up: median %.1f MiB, max deviation %.1f%% (first sample %.1f MiB, last %.1f, %d samples)" % (
        median / 1024, spread * 100, result["rss_first_mib"] or 0, result["rss_last_mib"] or 0, len(samples)))
    if samples:
        print("  text in the open documents: %.0f KiB at the first sample, %.0f KiB at the last" % (
            samples[0][3], samples[-1][3]))
    print("  completion p50/p95/p99 %.2f / %.2f / %.2f ms" % (pct(50), pct(95), pct(99)))
    print("  %s" % ("PASS" if passed else "FAIL"))
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(result, indent=1) + "\n")
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
