"""Fixtures for the emulator tests: real servers on 127.0.0.1 and a raw aiohttp client."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from gemgate.clock import Clock
from gemgate.emulator import EmulatorConfig, EmulatorServer

KEY = "test-key-1"
DEV = "/v1beta/models/gemini-2.5-flash"
VERTEX = "/v1/projects/my-proj/locations/us-central1/publishers/google/models/gemini-2.5-flash"
EXPRESS = "/v1beta1/publishers/google/models/gemini-2.5-flash"

Start = Callable[..., Awaitable[EmulatorServer]]


def user(text: str) -> dict[str, Any]:
    """A request body with one user turn."""
    return {"contents": [{"role": "user", "parts": [{"text": text}]}]}


@dataclass
class Reply:
    """A response read whole: status, headers, raw text, and the JSON if it parses."""

    status: int
    headers: dict[str, str]
    text: str

    @property
    def json(self) -> Any:
        return json.loads(self.text)


@dataclass
class Api:
    """Raw HTTP calls to one emulator."""

    server: EmulatorServer
    session: aiohttp.ClientSession

    async def post(
        self, path: str, body: Any, headers: dict[str, str] | None = None, key: str | None = KEY
    ) -> Reply:
        sent = {"x-goog-api-key": key} if key else {}
        sent.update(headers or {})
        url = self.server.base_url + path
        async with self.session.post(url, json=body, headers=sent) as response:
            return Reply(response.status, dict(response.headers), await response.text())

    async def get(self, path: str, key: str | None = KEY) -> Reply:
        headers = {"x-goog-api-key": key} if key else {}
        async with self.session.get(self.server.base_url + path, headers=headers) as response:
            return Reply(response.status, dict(response.headers), await response.text())

    async def generate(self, text: str = "Hello there", path: str = DEV, **kw: Any) -> Reply:
        return await self.post(f"{path}:generateContent", user(text), **kw)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def start() -> AsyncIterator[Start]:
    """Start emulators for one test; all are stopped after it."""
    servers: list[EmulatorServer] = []

    async def _start(
        config: EmulatorConfig | None = None, clock: Clock | None = None
    ) -> EmulatorServer:
        server = EmulatorServer(config, clock=clock)
        await server.start()
        servers.append(server)
        return server

    yield _start
    for server in servers:
        await server.stop()


MakeApi = Callable[..., Awaitable[Api]]


@pytest.fixture
async def api_for(start: Start, http: aiohttp.ClientSession) -> MakeApi:
    """``await api_for(config, clock)``: an emulator and a client for it."""

    async def _make(config: EmulatorConfig | None = None, clock: Clock | None = None) -> Api:
        return Api(await start(config, clock), http)

    return _make


@pytest.fixture
async def api(api_for: MakeApi) -> Api:
    """A default emulator (no limits, no faults, seed 0)."""
    return await api_for()
