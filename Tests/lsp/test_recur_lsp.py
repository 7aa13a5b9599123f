"""End-to-end test of `recur serve` with a third-party LSP client (pytest-lsp, pygls, lsprotocol).

Run by `make test` in a virtualenv the Makefile creates. RECUR_BIN names the binary (default: the debug build).
"""

import json
import os
import pathlib

import jsonschema
import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

ROOT = pathlib.Path(__file__).resolve().parents[2]
RECUR = os.environ.get("RECUR_BIN", str(ROOT / ".build" / "debug" / "recur"))
SCHEMA = ROOT / "Protocol" / "schema"


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[RECUR, "serve"]))
async def client(lsp_client: LanguageClient):
    params = types.InitializeParams(
        capabilities=types.ClientCapabilities(),
        client_info=types.ClientInfo(name="pytest-lsp"),
        initialization_options={"n": 6, "temperature": 0.8},
    )
    result = await lsp_client.initialize_session(params)
    # No positionEncodings offered: the server must fall back to UTF-16.
    assert result.capabilities.position_encoding == types.PositionEncodingKind.Utf16
    assert result.capabilities.text_document_sync.change == types.TextDocumentSyncKind.Incremental
    yield
    await lsp_client.shutdown_session()


def to_json(value):
    """pygls returns results of unknown methods as named tuples; turn them back into plain JSON values."""
    if hasattr(value, "_asdict"):
        return {k: to_json(v) for k, v in value._asdict().items()}
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    return value


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@pytest.mark.asyncio
async def test_typing_a_sentence_then_completing(client: LanguageClient):
    uri = "file:///tmp/recur-demo.txt"
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="plaintext", version=1, text="")
        )
    )
    # Type one character at a time with incremental edits, as an editor does; an emoji takes two UTF-16 units.
    typed = "Dear 🦊 friend, the weather is lovely and the gar"
    line = ""
    version = 1
    for ch in typed:
        column = utf16_length(line)
        version += 1
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[
                    types.TextDocumentContentChangePartial(
                        range=types.Range(
                            start=types.Position(line=0, character=column),
                            end=types.Position(line=0, character=column),
                        ),
                        text=ch,
                    )
                ],
            )
        )
        line += ch

    cursor = utf16_length(line)
    result = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=0, character=cursor),
        )
    )
    assert isinstance(result, types.CompletionList)
    assert result.is_incomplete is True
    assert result.items, "expected at least one completion"
    word_start = utf16_length(line[: line.rindex(" ") + 1])
    labels = set()
    for item in result.items:
        edit = item.text_edit
        assert edit is not None
        assert edit.range.start == types.Position(line=0, character=word_start)
        assert edit.range.end == types.Position(line=0, character=cursor)
        assert edit.new_text.startswith("gar"), edit.new_text
        assert item.label == edit.new_text
        labels.add(item.label)
    assert len(labels) == len(result.items), "items are distinct"
    sort_texts = [item.sort_text for item in result.items]
    assert sort_texts == sorted(sort_texts)


@pytest.mark.asyncio
async def test_inline_completion_and_script_methods(client: LanguageClient):
    uri = "file:///tmp/recur-code.py"
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="python", version=1, text="import os\n\ndef main():\n    for i in ra"
            )
        )
    )
    inline = await client.text_document_inline_completion_async(
        types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=3, character=15),
            context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Invoked),
        )
    )
    items = inline.items if isinstance(inline, types.InlineCompletionList) else inline
    assert items is not None and len(items) <= 3
    for item in items:
        assert item.range.start == types.Position(line=3, character=15) == item.range.end
        assert "\n" not in item.insert_text

    completed = await client.protocol.send_request_async(
        "recur/complete", {"text": "The quick brown fox jumps over the la", "n": 5, "seed": 3}
    )
    as_json = to_json(completed)
    jsonschema.validate(as_json, json.loads((SCHEMA / "recur-complete.result.json").read_text()))
    assert as_json["completions"]

    status = await client.protocol.send_request_async("recur/status", None)
    status_json = to_json(status)
    jsonschema.validate(status_json, json.loads((SCHEMA / "recur-status.result.json").read_text()))
    assert status_json["openDocuments"] >= 1
    assert status_json["onlineLearning"]["enabled"] is True

    synced = to_json(await client.protocol.send_request_async("recur/syncOnlineLearning", None))
    jsonschema.validate(synced, json.loads((SCHEMA / "recur-onlineLearning.result.json").read_text()))
    assert synced["bytesQueued"] == 0 and synced["bytesPending"] == 0
    off = to_json(await client.protocol.send_request_async("recur/setOnlineLearning", {"enabled": False}))
    jsonschema.validate(off, json.loads((SCHEMA / "recur-onlineLearning.result.json").read_text()))
    assert off["enabled"] is False
