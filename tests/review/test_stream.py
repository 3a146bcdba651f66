"""Streams: typed errors for an empty answer, and what an early exit records."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from gemgate.client import GeminiAPIClient, Stream
from gemgate.config import load_settings
from gemgate.credentials import Secret
from gemgate.errors import GemgateError
from gemgate.observability import Event, RequestFinished, RequestState

from .conftest import running


@asynccontextmanager
async def empty_sse_server() -> AsyncIterator[str]:
    """A real loopback server answering 200 text/event-stream with an empty body (a proxy or
    load balancer that closed the upstream early). The emulator has no such fault."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: 0\r\n\r\n"
        )
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    finally:
        server.close()
        await server.wait_closed()


async def drain(stream: Stream) -> None:
    async with stream:
        async for _ in stream:
            pass


async def test_a_stream_with_no_events_is_a_typed_retryable_error() -> None:
    """``anext(events)`` raises StopAsyncIteration inside the ``_chunks`` async generator;
    Python turns that into ``RuntimeError('async generator raised StopAsyncIteration')``:
    not a GemgateError, not retried, and the audit record says RuntimeError."""
    async with empty_sse_server() as url:
        settings = load_settings(None, env={})
        async with GeminiAPIClient.from_settings(settings, Secret("k"), base_url=url) as client:
            with pytest.raises(GemgateError):
                await drain(client.stream("hello"))


async def test_leaving_a_stream_early_on_purpose_is_not_recorded_as_a_failure() -> None:
    """``async with client.stream(...)`` + ``break`` is the documented way to stop early. The
    request is then audited as FAILED with error 'GeneratorExit: ' and counted in the error
    metrics, so every early stop by a UI (user pressed stop) looks like an outage."""
    finished: list[RequestFinished] = []

    def keep(event: Event) -> None:
        if isinstance(event, RequestFinished):
            finished.append(event)

    async with running() as (client, _):
        client.bus.subscribe(keep)
        async with client.stream("Tell me a long story about streams") as chunks:
            async for _ in chunks:
                break
    assert finished[-1].error is None or "GeneratorExit" not in finished[-1].error
    assert finished[-1].state is not RequestState.FAILED
