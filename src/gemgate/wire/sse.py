"""Server-sent events as the Gemini API sends them.

``data: <one-line JSON>`` lines, events ended by a blank line (``\\r\\n\\r\\n`` on the wire, plain
``\\n\\n`` in some captures); no ``event:`` lines and no ``[DONE]``: the stream ends when the
response closes. Network reads split events anywhere, so the decoder buffers until an event is
complete. A multi-line ``data`` field is joined with ``\\n`` as the SSE spec says. An event that
is not UTF-8 (or a stream cut inside a character) raises :class:`~gemgate.errors.MalformedResponse`.
"""

from __future__ import annotations

import re

from gemgate.errors import MalformedResponse

__all__ = ["SSEDecoder"]

_EVENT_END = re.compile(rb"\r\n\r\n|\n\n|\r\r")
_LINE = re.compile(rb"\r\n|\n|\r")


class SSEDecoder:
    """Feed bytes as they arrive; get back the ``data`` payload of each complete event."""

    __slots__ = ("_buffer",)

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, chunk: bytes) -> list[str]:
        self._buffer += chunk
        events: list[str] = []
        while True:
            match = _EVENT_END.search(self._buffer)
            if match is None:
                return events
            raw, self._buffer = self._buffer[: match.start()], self._buffer[match.end() :]
            data = _data_of(raw)
            if data is not None:
                events.append(data)

    def close(self) -> list[str]:
        """End of stream: a last event without its blank line still counts."""
        raw, self._buffer = self._buffer, b""
        data = _data_of(raw) if raw.strip() else None
        return [data] if data is not None else []

    @property
    def pending(self) -> int:
        """Bytes received that are not yet a complete event."""
        return len(self._buffer)


def _data_of(raw: bytes) -> str | None:
    lines: list[bytes] = []
    for line in _LINE.split(raw):
        if line.startswith(b"data:"):
            value = line[5:]
            lines.append(value[1:] if value.startswith(b" ") else value)
    if not lines:
        return None
    try:
        return b"\n".join(lines).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedResponse(f"stream event is not UTF-8 ({len(raw)} bytes)") from exc
