"""No credential in any exception of the chain a caller receives, nor in any error message."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from gemgate.client import GeminiAPIClient
from gemgate.config import load_settings
from gemgate.credentials import Secret
from gemgate.errors import GemgateError
from gemgate.transport import Transport

from .conftest import google_shaped_key


@asynccontextmanager
async def raw_server(reply: bytes) -> AsyncIterator[str]:
    """A real loopback TCP server that answers every request with ``reply`` bytes (a broken
    proxy). The emulator cannot send an invalid HTTP status line, hence this small server."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(reply)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    finally:
        server.close()
        await server.wait_closed()


def chain(exc: BaseException) -> list[BaseException]:
    found: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and cur not in found:
        found.append(cur)
        cur = cur.__cause__ or cur.__context__
    return found


@pytest.mark.parametrize(
    "reply",
    [b"garbage\r\n\r\n", b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nx"],
    ids=["bad-status-line", "duplicate-content-length"],
)
async def test_a_malformed_http_answer_does_not_carry_the_key_in_the_exception_chain(
    reply: bytes,
) -> None:
    """aiohttp turns a malformed answer into ClientResponseError, whose ``request_info``
    holds the request headers (x-goog-api-key). transport/session.py chains it with
    ``from exc``, so ``repr(err.__cause__)`` — what error trackers and ``rich`` tracebacks
    with locals print — shows the key in clear."""
    key = google_shaped_key()
    async with raw_server(reply) as url:
        settings = load_settings(None, env={})
        async with GeminiAPIClient.from_settings(settings, Secret(key), base_url=url) as client:
            with pytest.raises(GemgateError) as info:
                await client.generate("hello")
    for exc in chain(info.value):
        assert key not in repr(exc), f"{type(exc).__name__} repr shows the key"
        assert key not in repr(getattr(exc, "request_info", "")), "request_info shows the key"


async def test_a_password_in_the_endpoint_url_is_masked_in_error_messages() -> None:
    """STYLE §11 (httpx masks credentials in URLs): a base URL with user:password (a proxy or
    gateway with basic auth) must not be copied into ConnectionFailed messages, which
    ``gemgate run`` writes to the results file and the audit event carries."""
    password = google_shaped_key()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: the connection is refused
    url = f"http://gateway:{password}@127.0.0.1:{port}"
    settings = load_settings(None, env={})
    with pytest.raises(GemgateError) as refused:  # the client refuses such a base URL at once
        GeminiAPIClient.from_settings(settings, Secret("k"), base_url=url)
    assert password not in str(refused.value)
    async with Transport() as transport:  # and the transport masks it if it ever gets one
        with pytest.raises(GemgateError) as info:
            await transport.request_json("POST", url + "/v1beta/models/m:generateContent")
    assert password not in str(info.value)
