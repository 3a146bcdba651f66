"""Bytes on the wire: pretty JSON bodies, SSE events, JSON-array streams, HTML pages.

Non-stream and error bodies are pretty-printed (2-space indent) ``application/json;
charset=UTF-8``. SSE events are ``data: <one-line JSON>\\r\\n\\r\\n`` with the service's spacing
(``": "`` after keys, no space after ``,``), no ``event:`` lines and no ``[DONE]``. Without
``alt=sse`` a stream is one JSON array whose elements arrive as they are made.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from gemgate.emulator.errors import html_page

__all__ = [
    "JSON_TYPE",
    "ChunkStream",
    "compact",
    "html_response",
    "json_response",
    "pretty",
]

JSON_TYPE = "application/json; charset=UTF-8"
_BASE_HEADERS = {
    "Vary": "Origin, X-Origin, Referer",
    "X-XSS-Protection": "0",
    "X-Frame-Options": "SAMEORIGIN",
    "X-Content-Type-Options": "nosniff",
}


def pretty(obj: Any) -> str:
    """The service's pretty-printed JSON, ending with a newline."""
    return json.dumps(obj, indent=2, ensure_ascii=False) + "\n"


def compact(obj: Any) -> str:
    """One-line JSON spaced like the service's SSE events."""
    return json.dumps(obj, separators=(",", ": "), ensure_ascii=False)


def headers(content_type: str, ok: bool) -> dict[str, str]:
    """Response headers as Google's front end sends them (no Retry-After, ever)."""
    server = "scaffolding on HTTPServer2" if ok else "ESF"
    return {"Content-Type": content_type, **_BASE_HEADERS, "Server": server}


def json_response(obj: Any, status: int = 200) -> web.Response:
    """A pretty JSON body with the given status."""
    body = pretty(obj).encode()
    return web.Response(status=status, body=body, headers=headers(JSON_TYPE, status < 400))


def text_response(text: str, status: int, content_type: str = JSON_TYPE) -> web.Response:
    """A body sent exactly as given (used for truncated JSON)."""
    return web.Response(status=status, body=text.encode(), headers=headers(content_type, True))


def html_response(status: int, path: str) -> web.Response:
    """Google's HTML error page."""
    body = html_page(status, path).encode()
    return web.Response(
        status=status, body=body, headers=headers("text/html; charset=UTF-8", False)
    )


class ChunkStream:
    """A 200 stream of chunks, as SSE (``alt=sse``) or as a JSON array."""

    def __init__(self, request: web.Request, sse: bool) -> None:
        self._request = request
        self._sse = sse
        self._sent = 0
        content_type = "text/event-stream" if sse else JSON_TYPE
        self._response = web.StreamResponse(status=200, headers=headers(content_type, True))
        if sse:
            self._response.headers["Content-Disposition"] = "attachment"

    @property
    def response(self) -> web.StreamResponse:
        return self._response

    async def send(self, chunk: Any) -> None:
        """One whole chunk (or a ``{"error": ...}`` object)."""
        await self._write(f"data: {compact(chunk)}\r\n\r\n" if self._sse else pretty(chunk)[:-1])

    async def send_cut(self, chunk: Any) -> None:
        """The first half of a chunk, then nothing more: a truncated stream."""
        text = compact(chunk) if self._sse else pretty(chunk)
        await self._write(("data: " if self._sse else "") + text[: len(text) // 2])
        await self._response.write_eof()

    async def finish(self) -> None:
        """End the stream (closes the JSON array)."""
        if not self._sse:
            await self._write("" if self._sent else "[", raw=True)
            await self._write("\n]", raw=True)
        await self._response.write_eof()

    async def _write(self, text: str, raw: bool = False) -> None:
        if not self._response.prepared:
            await self._response.prepare(self._request)
        if not (self._sse or raw):
            text = ("[" if self._sent == 0 else "\n,\r\n") + text
            self._sent += 1
        await self._response.write(text.encode())
