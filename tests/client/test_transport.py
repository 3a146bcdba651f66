"""The transport: pooled sockets that do not leak, keys in headers only, clean close."""

from __future__ import annotations

import asyncio
import gc
import os
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from aiohttp import web

from gemgate.config import TransportSettings
from gemgate.credentials import Secret
from gemgate.emulator import EmulatorConfig, build_app
from gemgate.ratelimit import RateLimiter
from gemgate.transport import Auth, Transport
from gemgate.wire import Endpoint

from .conftest import running

KEY = "header-" + "only-key-77"


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


async def test_a_thousand_calls_do_not_grow_open_sockets_or_warn() -> None:
    loop_errors: list[dict[str, object]] = []
    asyncio.get_running_loop().set_exception_handler(lambda _, ctx: loop_errors.append(ctx))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # no client-side limit here: 1,064 calls in seconds would exceed the packaged 1,000 RPM
        async with running(concurrency=32, limiter=RateLimiter({})) as (client, emu):
            await asyncio.gather(*(client.generate(f"warm {i}") for i in range(64)))
            before = open_fds()
            for batch in range(10):
                await asyncio.gather(*(client.generate(f"call {batch}-{i}") for i in range(100)))
            after = open_fds()
            assert emu.stats()["by_status"] == {"200": 1064}
        del client
        gc.collect()
    assert after <= before, (before, after)
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]
    assert not [c for c in loop_errors if "Unclosed" in str(c.get("message"))]


@asynccontextmanager
async def capture_server(keepalive_s: float = 75.0) -> AsyncIterator[tuple[str, list[web.Request]]]:
    """A real aiohttp server on loopback that records requests and answers like Gemini."""
    seen: list[web.Request] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append(request)
        return web.json_response({"candidates": [], "usageMetadata": {"totalTokenCount": 0}})

    app = web.Application()
    app.router.add_post("/{tail:.*}", handler)
    runner = web.AppRunner(app, keepalive_timeout=keepalive_s)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}", seen
    finally:
        await runner.cleanup()


async def test_the_api_key_goes_in_a_header_never_in_the_url() -> None:
    async with capture_server() as (url, seen), Transport() as transport:
        endpoint = Endpoint(base_url=url)
        await transport.request_json(
            "POST",
            endpoint.method_url("gemini-2.5-flash", "generateContent"),
            body={"contents": []},
            auth=Auth(Secret(KEY)),
        )
    request = seen[0]
    assert request.headers["x-goog-api-key"] == KEY
    assert KEY not in str(request.url)
    assert "key=" not in request.query_string
    assert request.path == "/v1beta/models/gemini-2.5-flash:generateContent"


async def test_vertex_tokens_go_in_an_authorization_header() -> None:
    async with capture_server() as (url, seen), Transport() as transport:
        endpoint = Endpoint("vertex", "v1", url, project="p", region="europe-west1")
        await transport.request_json(
            "POST",
            endpoint.method_url("gemini-2.5-flash", "generateContent"),
            body={"contents": []},
            auth=Auth(Secret(KEY), "bearer"),
        )
    assert seen[0].headers["Authorization"] == f"Bearer {KEY}"
    assert seen[0].path == (
        "/v1/projects/p/locations/europe-west1/publishers/google/models/"
        "gemini-2.5-flash:generateContent"
    )


async def test_a_connection_the_server_closed_while_idle_is_not_an_error() -> None:
    app = build_app(EmulatorConfig())
    runner = web.AppRunner(app, keepalive_timeout=0.2)  # the server drops idle sockets fast
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    url = Endpoint(base_url=f"http://127.0.0.1:{port}").method_url("m", "generateContent")
    body = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
    try:
        async with Transport(TransportSettings(keepalive_s=30.0)) as transport:
            for _ in range(5):
                await transport.request_json("POST", url, body=body, auth=Auth(Secret(KEY)))
                await asyncio.sleep(0.4)  # real idle time: the server closes the socket
    finally:
        await runner.cleanup()


async def test_closing_twice_is_harmless_and_use_after_close_is_a_clear_error() -> None:
    transport = Transport()
    transport.open()
    await transport.close()
    await transport.close()
    with pytest.raises(RuntimeError, match="not open"):
        _ = transport.session
