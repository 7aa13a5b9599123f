"""A small client for Recur's daemon, standard library only.

It spawns `recur serve`, speaks JSON-RPC 2.0 with LSP framing over its stdin and stdout, and offers:

    with RecurClient() as recur:
        recur.complete(text="The quick brown fox jumps over the la", n=3, seed=1)
        recur.complete_at("notes.txt", line=3, col=12)          # 1-based, columns in characters
        recur.adapt(paths=["~/notes"], on_progress=print)        # waits for recur/adaptFinished
        recur.status()
        recur.set_online_learning(False)                         # learning from edits: off for this connection
        recur.sync_online_learning()                             # learn what was typed now, and save it

The binary is the `binary` argument, else $RECUR_BIN, else `recur` on PATH. Run `python3 recur_client.py --help`
for the command line.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

__all__ = ["RecurClient", "RecurError", "Completion", "AdaptJob", "AdaptFinished", "METHOD_NOT_FOUND"]

METHOD_NOT_FOUND = -32601
ADAPT_OUTCOMES = ("improved", "notImproved", "reused", "cancelled", "failed")


class RecurError(Exception):
    """An error answer from the server (`code` is the JSON-RPC code), or a broken connection (`code` is None)."""

    def __init__(self, method: str, code: Optional[int], message: str):
        self.method, self.code, self.server_message = method, code, message
        if code == METHOD_NOT_FOUND:
            text = (f"{method}: this recur does not support the method (method not found, {code}): "
                    f"{message}. Install a newer recur.")
        elif code is None:
            text = f"{method}: {message}"
        else:
            text = f"{method} failed ({code}): {message}"
        super().__init__(text)


@dataclass(frozen=True)
class Completion:
    text: str
    logprob: float
    probability: float


@dataclass(frozen=True)
class AdaptJob:
    """The immediate answer to `recur/adapt`."""
    job_id: str
    profile: str
    token: Any


@dataclass(frozen=True)
class AdaptFinished:
    """The `recur/adaptFinished` notification; `raw` keeps every field the server sent."""
    job_id: str
    profile: str
    outcome: str
    message: str
    raw: dict


class _Pending:
    def __init__(self):
        self.done = threading.Event()
        self.result: Any = None
        self.error: Optional[dict] = None


def _find_binary(binary: Optional[str]) -> str:
    candidate = binary or os.environ.get("RECUR_BIN") or shutil.which("recur")
    if not candidate:
        raise FileNotFoundError("recur not found: pass binary=..., set RECUR_BIN, or put recur on PATH")
    return candidate


def _utf16_column(line_text: str, col: int) -> int:
    """LSP's default encoding counts UTF-16 code units; `col` counts characters (code points)."""
    return len(line_text[:col].encode("utf-16-le")) // 2


class RecurClient:
    """One `recur serve` process and its connection. Thread-safe: requests may come from several threads.

    `root` (default: the current directory) is the workspace folder: the files `adapt` may read must be inside
    it unless init_options has `"allowAnyPath": true`, and it names the initial profile unless init_options
    has `"profile"`."""

    def __init__(self, binary: Optional[str] = None, args: tuple = (), init_options: Optional[dict] = None,
                 root: Optional[str] = None, stderr: Any = subprocess.DEVNULL, timeout: float = 30.0):
        self.timeout = timeout
        self._proc = subprocess.Popen([_find_binary(binary), "serve", *args], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=stderr)
        self._ids = itertools.count(1)
        self._tokens = itertools.count(1)
        self._write_lock = threading.Lock()
        self._lock = threading.Lock()
        self._pending: dict = {}
        self._progress: dict = {}        # token -> callback
        self._finished: dict = {}        # jobId -> AdaptFinished
        self._finished_cond = threading.Condition(self._lock)
        self._notification_handlers: dict = {}
        self._closed_reason: Optional[str] = None
        self._documents: dict = {}       # uri -> (version, text)
        self._reader = threading.Thread(target=self._read_loop, name="recur-reader", daemon=True)
        self._reader.start()
        root_path = Path(root or os.getcwd()).resolve()
        self.server_info = self.request("initialize", {
            "processId": os.getpid(),
            "rootUri": root_path.as_uri(),
            "workspaceFolders": [{"uri": root_path.as_uri(), "name": root_path.name or str(root_path)}],
            "capabilities": {"window": {"workDoneProgress": True}},
            "initializationOptions": init_options or {},
        })
        self.notify("initialized", {})

    # Connection

    def __enter__(self) -> "RecurClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """`shutdown` then `exit`; the process is killed if it does not end within a few seconds."""
        if self._proc.poll() is None:
            try:
                self.request("shutdown", None, timeout=5)
                self.notify("exit", None)
            except (RecurError, OSError, TimeoutError):
                pass
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        for stream in (self._proc.stdin, self._proc.stdout):
            try:
                stream.close()
            except OSError:
                pass

    def on_notification(self, method: str, handler: Callable[[Any], None]) -> None:
        """Call `handler(params)` for every notification `method` (in the reader thread)."""
        self._notification_handlers[method] = handler

    def request(self, method: str, params: Any = None, timeout: Optional[float] = None) -> Any:
        """Send a request and wait for its answer; an error answer raises RecurError."""
        request_id = next(self._ids)
        pending = _Pending()
        with self._lock:
            if self._closed_reason:
                raise RecurError(method, None, self._closed_reason)
            self._pending[request_id] = pending
        message = {"jsonrpc": "2.0", "id": request_id, "method": method}
        if params is not None:
            message["params"] = params
        self._send(message)
        if not pending.done.wait(self.timeout if timeout is None else timeout):
            with self._lock:
                self._pending.pop(request_id, None)
            self._send({"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": request_id}})
            raise TimeoutError(f"{method}: no answer from recur within {timeout or self.timeout} s")
        if pending.error is not None:
            raise RecurError(method, pending.error.get("code"), pending.error.get("message", ""))
        return pending.result

    def notify(self, method: str, params: Any = None) -> None:
        message = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        self._send(message)

    def _send(self, message: dict) -> None:
        body = json.dumps(message, ensure_ascii=False).encode("utf-8")
        with self._write_lock:
            self._proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            self._proc.stdin.flush()

    def _read_loop(self) -> None:
        stream = self._proc.stdout
        reason = "recur serve exited"
        try:
            while True:
                length = None
                while True:
                    line = stream.readline()
                    if not line:
                        return
                    line = line.strip()
                    if not line:
                        break
                    name, _, value = line.decode("ascii", "replace").partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value.strip())
                if length is None:
                    continue
                self._dispatch(json.loads(stream.read(length).decode("utf-8")))
        except (OSError, ValueError) as error:
            reason = f"connection to recur serve broken: {error}"
        finally:
            with self._lock:
                self._closed_reason = reason
                pending, self._pending = self._pending, {}
                self._finished_cond.notify_all()
            for entry in pending.values():
                entry.error = {"code": None, "message": reason}
                entry.done.set()

    def _dispatch(self, message: dict) -> None:
        if "method" in message and "id" in message:        # a request from the server
            if message["method"] == "window/workDoneProgress/create":
                self._send({"jsonrpc": "2.0", "id": message["id"], "result": None})
            else:
                self._send({"jsonrpc": "2.0", "id": message["id"],
                            "error": {"code": METHOD_NOT_FOUND, "message": f"unsupported: {message['method']}"}})
        elif "method" in message:                           # a notification
            method, params = message["method"], message.get("params")
            if method == "$/progress":
                callback = self._progress.get(params.get("token"))
                if callback:
                    callback(params.get("value", {}))
            elif method == "recur/adaptFinished":
                finished = AdaptFinished(job_id=str(params.get("jobId")), profile=params.get("profile", ""),
                                         outcome=params.get("outcome", ""), message=params.get("message", ""),
                                         raw=params)
                with self._lock:
                    self._finished[finished.job_id] = finished
                    self._finished_cond.notify_all()
            handler = self._notification_handlers.get(method)
            if handler:
                handler(params)
        else:                                               # a response
            with self._lock:
                pending = self._pending.pop(message.get("id"), None)
            if pending:
                pending.result, pending.error = message.get("result"), message.get("error")
                pending.done.set()

    # Documents

    def _sync_document(self, path: str) -> tuple:
        """Opens `path` in the server, or sends its new text when it changed on disk. Returns (uri, text)."""
        file = Path(path).expanduser().resolve()
        text = file.read_text(encoding="utf-8")
        uri = file.as_uri()
        known = self._documents.get(uri)
        if known is None:
            self.notify("textDocument/didOpen", {"textDocument": {
                "uri": uri, "languageId": "plaintext", "version": 1, "text": text}})
            self._documents[uri] = (1, text)
        elif known[1] != text:
            version = known[0] + 1
            self.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                                   "contentChanges": [{"text": text}]})
            self._documents[uri] = (version, text)
        return uri, text

    def close_document(self, path: str) -> None:
        uri = Path(path).expanduser().resolve().as_uri()
        if self._documents.pop(uri, None) is not None:
            self.notify("textDocument/didClose", {"textDocument": {"uri": uri}})

    # Requests

    def complete(self, text: str, n: Optional[int] = None, temperature: Optional[float] = None,
                 top_k: Optional[int] = None, top_p: Optional[float] = None, max_chars: Optional[int] = None,
                 stop: Optional[str] = None, seed: Optional[int] = None) -> list:
        """Distinct completions of the end of `text`, most probable first (`recur/complete`)."""
        return self._complete({"text": text}, n, temperature, top_k, top_p, max_chars, stop, seed)

    def complete_at(self, path: str, line: int, col: int, **options) -> list:
        """Completions at 1-based `line` and `col` (in characters) of a file, which stays open in the server
        (re-sent when it changes on disk) until `close_document`. Options as for `complete`."""
        uri, text = self._sync_document(path)
        lines = text.split("\n")
        if not 1 <= line <= len(lines):
            raise ValueError(f"line {line} is outside {path} (1...{len(lines)})")
        position = {"line": line - 1, "character": _utf16_column(lines[line - 1], max(col - 1, 0))}
        return self._complete({"textDocument": {"uri": uri}, "position": position}, **_named(options))

    def _complete(self, params: dict, n=None, temperature=None, top_k=None, top_p=None, max_chars=None,
                  stop=None, seed=None) -> list:
        for key, value in (("n", n), ("temperature", temperature), ("topK", top_k), ("topP", top_p),
                           ("maxChars", max_chars), ("stop", stop), ("seed", seed)):
            if value is not None:
                params[key] = value
        result = self.request("recur/complete", params)
        return [Completion(c["text"], c["logprob"], c["probability"]) for c in result["completions"]]

    def status(self) -> dict:
        """`recur/status`: the model, open documents, memory, latency, the profile and adaptation job, and
        `onlineLearning` (the online learning status, or `False` from a recur that predates it)."""
        return self.request("recur/status")

    def set_profile(self, profile: str) -> dict:
        """`recur/setProfile`: switch this connection to `profile`. Returns `{"profile", "adapterId"?}`."""
        return self.request("recur/setProfile", {"profile": profile})

    def set_online_learning(self, enabled: bool) -> dict:
        """`recur/setOnlineLearning`: learning from the text edited in open documents, on or off for this
        connection. Returns the online learning status (`enabled`, `bytesLearned`, `updates`, `bytesPending`, ...)."""
        return self.request("recur/setOnlineLearning", {"enabled": bool(enabled)})

    def sync_online_learning(self, timeout: Optional[float] = 120.0) -> dict:
        """`recur/syncOnlineLearning`: settles all edited text now, waits until it is learned and the new weights
        are in use, and saves them. Returns the online learning status."""
        return self.request("recur/syncOnlineLearning", {}, timeout=timeout)

    def adapt(self, profile: Optional[str] = None, paths: Optional[list] = None, uris: Optional[list] = None,
              open_documents: bool = False, steps: Optional[int] = None, minutes: Optional[float] = None,
              lr: Optional[float] = None, on_progress: Optional[Callable[[dict], None]] = None,
              wait: bool = True, timeout: Optional[float] = None):
        """Fine-tunes a profile in the background (`recur/adapt`). `on_progress(value)` gets each `$/progress`
        value (`kind` begin/report/end, `message`, `percentage`). With `wait` (the default) returns the
        AdaptFinished notification, else the AdaptJob at once (see `wait_adapt` and `cancel_adapt`)."""
        params: dict = {}
        if paths is not None:
            params["paths"] = [str(Path(p).expanduser().resolve()) for p in paths]
        if uris is not None:
            params["uris"] = list(uris)
        if open_documents:
            params["openDocuments"] = True
        for key, value in (("profile", profile), ("steps", steps), ("minutes", minutes), ("lr", lr)):
            if value is not None:
                params[key] = value
        token = f"recur-py-{os.getpid()}-{next(self._tokens)}"
        params["workDoneToken"] = token
        if on_progress:
            self._progress[token] = on_progress
        try:
            answer = self.request("recur/adapt", params)
        except BaseException:
            self._progress.pop(token, None)
            raise
        if answer.get("token") not in (None, token) and on_progress:
            self._progress[answer["token"]] = on_progress
        job = AdaptJob(job_id=str(answer["jobId"]), profile=answer.get("profile", ""), token=answer.get("token"))
        return self.wait_adapt(job, timeout) if wait else job

    def wait_adapt(self, job: AdaptJob, timeout: Optional[float] = None) -> AdaptFinished:
        """Waits for the job's `recur/adaptFinished` (no timeout unless given)."""
        with self._lock:
            ok = self._finished_cond.wait_for(
                lambda: job.job_id in self._finished or self._closed_reason is not None, timeout)
            if job.job_id in self._finished:
                return self._finished.pop(job.job_id)
        if not ok:
            raise TimeoutError(f"recur/adapt job {job.job_id}: not finished within {timeout} s")
        raise RecurError("recur/adapt", None, self._closed_reason or "connection closed")

    def cancel_adapt(self, job_id: str) -> None:
        self.request("recur/cancelAdapt", {"jobId": job_id})


def _named(options: dict) -> dict:
    allowed = {"n", "temperature", "top_k", "top_p", "max_chars", "stop", "seed"}
    unknown = set(options) - allowed
    if unknown:
        raise TypeError(f"unknown options: {', '.join(sorted(unknown))}")
    return options


# Command line

def _sampling_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--n", type=int, help="samples (distinct completions, at most)")
    parser.add_argument("--temperature", type=float)
    parser.add_argument("--top-k", type=int)
    parser.add_argument("--top-p", type=float)
    parser.add_argument("--max-chars", type=int)
    parser.add_argument("--stop", choices=["word", "line", "none"])
    parser.add_argument("--seed", type=int)


def _sampling_options(args: argparse.Namespace) -> dict:
    return {key: getattr(args, key) for key in ("n", "temperature", "top_k", "top_p", "max_chars", "stop", "seed")}


def _print_completions(completions: list, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"completions": [c.__dict__ for c in completions]}, ensure_ascii=False))
    else:
        for c in completions:
            print(f"{c.probability * 100:5.1f}%  {c.text!r}")


def main(argv: Optional[list] = None) -> int:
    parser = argparse.ArgumentParser(prog="recur_client", description="Script client for recur serve.")
    parser.add_argument("--recur", help="the recur binary (default: $RECUR_BIN, then recur on PATH)")
    parser.add_argument("--model", help="a model file instead of the embedded default")
    parser.add_argument("--profile", help="the profile to use (default: the workspace folder's)")
    parser.add_argument("--root", help="the workspace folder (default: the current directory)")
    parser.add_argument("--allow-any-path", action="store_true",
                        help="let adapt read files outside the workspace folder")
    parser.add_argument("--no-online-learning", action="store_true",
                        help="start the connection with online learning off (initializationOptions.onlineLearning)")
    commands = parser.add_subparsers(dest="command", required=True)

    complete = commands.add_parser("complete", help="complete the end of TEXT (or stdin)")
    complete.add_argument("text", nargs="?")
    complete.add_argument("--json", action="store_true")
    _sampling_arguments(complete)

    complete_at = commands.add_parser("complete-at", help="complete at LINE:COL of a file (1-based)")
    complete_at.add_argument("path")
    complete_at.add_argument("line", type=int)
    complete_at.add_argument("col", type=int)
    complete_at.add_argument("--json", action="store_true")
    _sampling_arguments(complete_at)

    commands.add_parser("status", help="print recur/status as JSON")

    adapt = commands.add_parser("adapt", help="fine-tune the profile on files or directories")
    adapt.add_argument("paths", nargs="+")
    adapt.add_argument("--steps", type=int)
    adapt.add_argument("--minutes", type=float)
    adapt.add_argument("--lr", type=float)

    args = parser.parse_args(argv)
    init_options = {"model": args.model} if args.model else {}
    if args.profile:
        init_options["profile"] = args.profile
    if args.allow_any_path:
        init_options["allowAnyPath"] = True
    if args.no_online_learning:
        init_options["onlineLearning"] = False
    try:
        with RecurClient(binary=args.recur, init_options=init_options, root=args.root) as recur:
            if args.command == "complete":
                text = args.text if args.text is not None else sys.stdin.read()
                _print_completions(recur.complete(text, **_sampling_options(args)), args.json)
            elif args.command == "complete-at":
                _print_completions(recur.complete_at(args.path, args.line, args.col, **_sampling_options(args)),
                                   args.json)
            elif args.command == "status":
                print(json.dumps(recur.status(), indent=2, ensure_ascii=False))
            elif args.command == "adapt":
                def progress(value: dict) -> None:
                    parts = [value.get("kind", ""), value.get("title", ""), value.get("message", "")]
                    if "percentage" in value:
                        parts.append(f"{value['percentage']}%")
                    print("recur adapt: " + " ".join(p for p in parts if p), file=sys.stderr)
                finished = recur.adapt(profile=args.profile, paths=args.paths, steps=args.steps,
                                       minutes=args.minutes, lr=args.lr, on_progress=progress)
                print(json.dumps(finished.raw, ensure_ascii=False))
                return 0 if finished.outcome in ("improved", "notImproved", "reused") else 1
    except (RecurError, FileNotFoundError, ValueError, TimeoutError) as error:
        print(f"recur_client: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
