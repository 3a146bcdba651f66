"""Streams: SSE framing, cumulative usage on the Developer API, last-chunk usage on Vertex."""

from __future__ import annotations

import json
from typing import Any

from .conftest import DEV, VERTEX, Api, user

BEARER = {"Authorization": "Bearer T"}


def sse_events(raw: str) -> list[dict[str, Any]]:
    """Split an SSE body strictly: every event is ``data: <one line>`` ended by CRLF CRLF."""
    assert raw.endswith("\r\n\r\n")
    events = raw.split("\r\n\r\n")[:-1]
    assert all(e.startswith("data: ") and "\n" not in e and "\r" not in e for e in events)
    return [json.loads(e.removeprefix("data: ")) for e in events]


def text_of(chunk: dict[str, Any]) -> str:
    return "".join(p.get("text", "") for p in chunk["candidates"][0]["content"]["parts"])


async def test_sse_is_data_lines_ended_by_crlf_crlf_without_done(api: Api) -> None:
    reply = await api.post(f"{DEV}:streamGenerateContent?alt=sse", user("stream please"))
    assert reply.status == 200
    assert reply.headers["Content-Type"] == "text/event-stream"
    assert "event:" not in reply.text
    assert "[DONE]" not in reply.text
    events = sse_events(reply.text)
    assert len(events) >= 3
    assert '"candidates": [{"content": {"parts": [{"text": ' in reply.text  # the service's spacing


async def test_developer_stream_chunks_carry_cumulative_usage(api: Api) -> None:
    whole = (await api.generate("stream please")).json
    raw = (await api.post(f"{DEV}:streamGenerateContent?alt=sse", user("stream please"))).text
    events = sse_events(raw)
    counts = [e["usageMetadata"]["candidatesTokenCount"] for e in events]
    assert counts == sorted(counts)
    assert len(set(counts)) == len(counts)
    assert events[-1]["usageMetadata"] == whole["usageMetadata"]
    assert "".join(text_of(e) for e in events) == text_of(whole)
    assert [e["candidates"][0].get("finishReason") for e in events] == [None] * (
        len(events) - 1
    ) + ["STOP"]
    assert all(e["candidates"][0]["index"] == 0 for e in events)
    assert len({e["responseId"] for e in events}) == 1


async def test_vertex_stream_has_usage_only_on_the_last_chunk(api: Api) -> None:
    path = f"{VERTEX}:streamGenerateContent?alt=sse"
    events = sse_events((await api.post(path, user("Hi"), headers=BEARER, key=None)).text)
    assert ["usageMetadata" in e for e in events] == [False] * (len(events) - 1) + [True]
    assert events[-1]["candidates"][0]["finishReason"] == "STOP"
    assert all(list(e["candidates"][0]["content"]) == ["role", "parts"] for e in events)
    assert all("createTime" in e for e in events)


async def test_without_alt_sse_the_stream_is_one_json_array(api: Api) -> None:
    reply = await api.post(f"{DEV}:streamGenerateContent", user("stream please"))
    assert reply.headers["Content-Type"] == "application/json; charset=UTF-8"
    assert reply.text.startswith("[{\n")
    assert reply.text.endswith("}\n]")
    chunks = reply.json
    sse = sse_events(
        (await api.post(f"{DEV}:streamGenerateContent?alt=sse", user("stream please"))).text
    )
    assert [text_of(c) for c in chunks] == [text_of(e) for e in sse]
    assert chunks[-1]["usageMetadata"] == sse[-1]["usageMetadata"]


async def test_a_thinking_stream_ends_with_an_empty_text_and_a_signature(api: Api) -> None:
    body = {**user("think"), "generationConfig": {"thinkingConfig": {"thinkingBudget": 50}}}
    events = sse_events((await api.post(f"{DEV}:streamGenerateContent?alt=sse", body)).text)
    last = events[-1]["candidates"][0]
    assert last["content"]["parts"][0]["text"] == ""
    assert "thoughtSignature" in last["content"]["parts"][0]
    assert last["finishReason"] == "STOP"
    assert {e["usageMetadata"]["thoughtsTokenCount"] for e in events} == {50}
