#!/usr/bin/env python3
"""Writes the seed corpora for `make fuzz` (Tests/FuzzCorpus/<target>/seed-*). Inputs that crashed a target are
added beside them as crash-* files by hand, and are never regenerated. Standard library only; deterministic."""
import json
import os
import random
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def write(target, name, data):
    folder = os.path.join(HERE, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def frame(body):
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def framing_seeds():
    doc = {"uri": "file:///a.txt", "languageId": "plaintext", "version": 1, "text": "hello w\u00e9rld \U0001F98A\n"}
    pos = {"line": 0, "character": 7}
    msgs = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {"general": {"positionEncodings": ["utf-8", "utf-16"]}}, "workspaceFolders": [{"uri": "file:///w", "name": "w"}], "initializationOptions": {"n": 3, "profile": "p"}}},
        {"jsonrpc": "2.0", "method": "initialized", "params": {}},
        {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": doc}},
        {"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {"textDocument": {"uri": doc["uri"], "version": 2}, "contentChanges": [{"range": {"start": pos, "end": pos}, "text": "x"}, {"text": "full"}]}},
        {"jsonrpc": "2.0", "id": 2, "method": "textDocument/completion", "params": {"textDocument": {"uri": doc["uri"]}, "position": pos}},
        {"jsonrpc": "2.0", "id": 3, "method": "textDocument/inlineCompletion", "params": {"textDocument": {"uri": doc["uri"]}, "position": pos, "context": {"triggerKind": 2}}},
        {"jsonrpc": "2.0", "id": "s", "method": "recur/complete", "params": {"text": "abc", "n": 2, "temperature": 0.5, "topK": 4, "topP": 0.9, "seed": 1, "maxChars": 8, "stop": "line"}},
        {"jsonrpc": "2.0", "id": 4, "method": "recur/adapt", "params": {"profile": "p", "paths": ["/w"], "steps": 3}},
        {"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": 2}},
        {"jsonrpc": "2.0", "id": 5, "result": None},
        {"jsonrpc": "2.0", "id": 6, "error": {"code": -32601, "message": "no", "data": [1, 2.5, -0.0, 1e300]}},
        {"jsonrpc": "2.0", "id": 7, "method": "shutdown"},
        {"jsonrpc": "2.0", "method": "exit"},
    ]
    write("framing", "seed-session", b"\x03" + b"".join(frame(m) for m in msgs))
    for i, m in enumerate(msgs):
        write("framing", "seed-message-%02d" % i, bytes([i]) + frame(m))
    write("framing", "seed-headers", b"\x05" + b"content-length:  12\nContent-Type: application/vscode-jsonrpc; charset=utf-8\n\n" + b'{"a":[1,{}]}' + b"\r\n\r\n" + frame(b"[]"))
    write("framing", "seed-oversized", b"\x01" + b"Content-Length: 2147483648\r\n\r\n" + b"x" * 600 + frame({"jsonrpc": "2.0", "method": "exit"}))
    write("framing", "seed-bad-header", b"\x02" + b"Content-Length: -1\r\n\r\nContent-Length: 1x\r\n\r\nNoColon\r\n\r\n" + frame(b"{"))
    write("framing", "seed-invalid-utf8", b"\x04" + frame(b'{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"file:///b","languageId":"x","version":1,"text":"a\xff\xc3b\xed\xa0\x80"}}}'))
    write("framing", "seed-surrogates", b"\x06" + frame(b'{"jsonrpc":"2.0","id":9,"method":"recur/complete","params":{"text":"\\ud800a\\udc00\\ud83d\\ude00\\\\ud800"}}'))


def tensor_file(tensors, metadata, dtype):
    header, data = {}, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, (shape, values) in tensors.items():
        raw = struct.pack("<%d%s" % (len(values), "e" if dtype == "F16" else "f"), *values)
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header, separators=(",", ":")).encode()
    return struct.pack("<Q", len(text)) + text + data


def model(cell, layers, hidden, embedding, dtype, rng, metadata=True):
    gates = {"lstm": 4, "gru": 3, "rnn": 1}[cell]
    gh = gates * hidden
    tensors = {"embedding.weight": ([256, embedding], None)}
    for k in range(layers):
        width = embedding if k == 0 else hidden
        tensors["rnn.weight_ih_l%d" % k] = ([gh, width], None)
        tensors["rnn.weight_hh_l%d" % k] = ([gh, hidden], None)
        tensors["rnn.bias_ih_l%d" % k] = ([gh], None)
        tensors["rnn.bias_hh_l%d" % k] = ([gh], None)
    tensors["head.weight"] = ([256, hidden], None)
    tensors["head.bias"] = ([256], None)
    for name, (shape, _) in tensors.items():
        count = 1
        for d in shape:
            count *= d
        tensors[name] = (shape, [round(rng.uniform(-1, 1), 3) for _ in range(count)])
    meta = {"format": "recur-charlm", "version": "1", "cell": cell, "layers": str(layers), "hidden": str(hidden),
            "embedding": str(embedding), "vocab": "256"} if metadata else None
    return tensor_file(tensors, meta, dtype)


def model_seeds():
    rng = random.Random(1)
    write("safetensors", "seed-gru-f16", model("gru", 1, 2, 2, "F16", rng))
    write("safetensors", "seed-lstm-f32", model("lstm", 1, 1, 1, "F32", rng))
    write("safetensors", "seed-rnn-2layers-nometa", model("rnn", 2, 1, 1, "F16", rng, metadata=False))
    write("safetensors", "seed-huge-shape", tensor_file({"embedding.weight": ([1 << 40, 1 << 30], [])}, {}, "F32"))
    write("safetensors", "seed-huge-metadata", model("gru", 1, 1, 1, "F16", rng)[:0] + tensor_file(
        {"embedding.weight": ([256, 1], [0.0] * 256)}, {"hidden": "4611686018427387904", "layers": "99999999999"}, "F16"))
    write("adapter", "seed-adapter", model("gru", 1, 2, 2, "F16", rng))
    write("adapter", "seed-adapter-f32", model("gru", 1, 2, 2, "F32", rng))
    write("adapter", "seed-other-architecture", model("lstm", 1, 2, 2, "F16", rng))
    write("adapter", "seed-truncated", model("gru", 1, 2, 2, "F16", rng)[:-7])


def edit_seeds():
    # Layout (EditScriptFuzzer): encoding byte, initial length, initial bytes, then operations.
    write("edits", "seed-ascii", bytes([1, 12]) + b"ab\ncd\r\nef\rgh" + bytes([0, 2, 0x61, 1, 1, 1, 2, 3, 0, 5, 7, 3, 9]))
    write("edits", "seed-invalid-utf8", bytes([0, 10]) + b"a\xe2\x82\xffb\xed\xa0\x80\xc3\n" + bytes([0, 3, 6, 7, 8, 1, 1, 1, 3, 3, 4, 2, 2]))
    write("edits", "seed-emoji-utf16", bytes([1, 9]) + "é🦊x\n".encode() + bytes([0, 2, 6, 7, 0, 2, 0, 3, 3, 0, 2, 1, 0xff, 0, 0, 0, 3, 1]))
    write("edits", "seed-batch", bytes([2, 4]) + b"wxyz" + bytes([2, 2, 1, 0x61, 0, 1, 0, 2, 1, 0x62, 0, 3, 0, 1, 7]))


if __name__ == "__main__":
    framing_seeds()
    model_seeds()
    edit_seeds()
