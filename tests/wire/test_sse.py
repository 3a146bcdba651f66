"""SSEDecoder: the ``data`` of each event out of bytes that network reads split anywhere."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gemgate.errors import MalformedResponse
from gemgate.wire import SSEDecoder

FIRST = '{"candidates": [{"content": {"parts": [{"text": "Hi"}],"role": "model"},"index": 0}]}'
SECOND = '{"usageMetadata": {"promptTokenCount": 2,"totalTokenCount": 3}}'
UNICODE = '{"candidates": [{"content": {"parts": [{"text": "Grüße, 日本語 🎉"}]}}]}'


def sse(*events: str, newline: bytes = b"\r\n") -> bytes:
    """Events as the API sends them: ``data: <json>`` and a blank line after each."""
    return b"".join(b"data: " + e.encode() + newline + newline for e in events)


def decode(*chunks: bytes) -> list[str]:
    """Feed the chunks in order, then close, and return every event."""
    decoder = SSEDecoder()
    events = [event for chunk in chunks for event in decoder.feed(chunk)]
    return events + decoder.close()


@pytest.mark.parametrize("newline", [b"\r\n", b"\n", b"\r"], ids=["CRLF", "LF", "CR"])
def test_events_are_ended_by_a_blank_line_with_any_line_ending(newline: bytes) -> None:
    decoder = SSEDecoder()

    assert decoder.feed(sse(FIRST, SECOND, newline=newline)) == [FIRST, SECOND]
    assert decoder.pending == 0


def test_an_event_is_delivered_only_once_its_blank_line_arrives() -> None:
    decoder = SSEDecoder()

    assert decoder.feed(b"data: " + FIRST.encode() + b"\r\n") == []
    assert decoder.feed(b"\r\n") == [FIRST]


@pytest.mark.parametrize("newline", [b"\r\n", b"\n"], ids=["CRLF", "LF"])
def test_two_events_split_at_any_byte_decode_the_same(newline: bytes) -> None:
    stream = sse(FIRST, SECOND, newline=newline)
    for cut in range(len(stream) + 1):
        decoder = SSEDecoder()
        events = decoder.feed(stream[:cut])
        events += decoder.feed(stream[cut:])
        assert events == [FIRST, SECOND], f"split at byte {cut}"
        assert decoder.pending == 0


@given(st.lists(st.integers(min_value=0, max_value=len(sse(FIRST, UNICODE, SECOND)))))
def test_a_stream_split_at_many_points_decodes_the_same(cuts: list[int]) -> None:
    stream = sse(FIRST, UNICODE, SECOND)
    bounds = [0, *sorted(cuts), len(stream)]

    chunks = [stream[a:b] for a, b in pairwise(bounds)]

    assert decode(*chunks) == [FIRST, UNICODE, SECOND]


def test_a_multibyte_character_split_across_feeds_is_decoded_whole() -> None:
    stream = sse(UNICODE)
    start = stream.index("ü".encode())
    for cut in range(start, stream.index("🎉".encode()) + 4):
        assert decode(stream[:cut], stream[cut:]) == [UNICODE], f"split at byte {cut}"


def test_close_delivers_a_final_event_that_has_no_blank_line() -> None:
    decoder = SSEDecoder()

    assert decoder.feed(b"data: " + SECOND.encode()) == []
    assert decoder.close() == [SECOND]
    assert decoder.pending == 0


@pytest.mark.parametrize("tail", [b"\r\n", b"\n"], ids=["CRLF", "LF"])
def test_close_delivers_a_final_event_ended_by_one_newline(tail: bytes) -> None:
    assert decode(sse(FIRST) + b"data: " + SECOND.encode() + tail) == [FIRST, SECOND]


@pytest.mark.parametrize("rest", [b"", b"\r\n", b"\n\n", b"   "], ids=repr)
def test_close_with_nothing_but_whitespace_left_delivers_nothing(rest: bytes) -> None:
    decoder = SSEDecoder()
    decoder.feed(sse(FIRST) + rest)

    assert decoder.close() == []


def test_data_without_a_space_after_the_colon_is_the_same_data() -> None:
    assert decode(b"data:" + FIRST.encode() + b"\r\n\r\n") == [FIRST]


def test_only_one_space_after_the_colon_is_removed() -> None:
    assert decode(b"data:  indented\n\n") == [" indented"]


def test_several_data_lines_of_one_event_are_joined_with_a_newline() -> None:
    assert decode(b"data: {\r\ndata: }\r\n\r\n") == ["{\n}"]


def test_comments_and_other_fields_are_ignored() -> None:
    stream = b": keep-alive\r\nevent: message\r\nid: 7\r\nretry: 100\r\ndata: " + FIRST.encode()

    assert decode(stream + b"\r\n\r\n") == [FIRST]


def test_an_event_without_data_yields_nothing() -> None:
    assert decode(b": keep-alive\r\n\r\n", sse(SECOND)) == [SECOND]


def test_pending_counts_the_bytes_of_the_incomplete_event() -> None:
    decoder = SSEDecoder()

    decoder.feed(sse(FIRST) + b"data: {")

    assert decoder.pending == len(b"data: {")


def test_invalid_utf8_in_an_event_is_a_malformed_response() -> None:
    with pytest.raises(MalformedResponse, match="UTF-8"):
        SSEDecoder().feed(b'data: {"text": "\xff"}\r\n\r\n')


def test_a_stream_cut_inside_a_multibyte_character_is_malformed_at_close() -> None:
    stream = b"data: " + UNICODE.encode()
    decoder = SSEDecoder()
    decoder.feed(stream[: stream.index("🎉".encode()) + 2])

    with pytest.raises(MalformedResponse):
        decoder.close()
