"""Helpers the test folders share: real processes and servers on 127.0.0.1.

``Emulator`` runs `gemgate emulator` as a process; ``RedisServer`` runs a redis-server of a
test's own; ``redis_answers``/``unavailable`` decide between using, starting, skipping or (with
``GEMGATE_REQUIRE_SERVICES=1``, as in CI) failing.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import redis
import redis.asyncio as aioredis

from gemgate.client import GeminiAPIClient
from gemgate.clock import Clock
from gemgate.config import TransportSettings, load_settings
from gemgate.credentials import Secret
from gemgate.emulator import EmulatorConfig, EmulatorServer, FaultRule
from gemgate.ratelimit import RateLimiter

ROOT = Path(__file__).resolve().parents[1]
GEMGATE = [sys.executable, "-m", "gemgate.cli"]


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without gemgate's or Gemini's settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GEMGATE_")}
    for name in ("GEMINI_API_KEY", "GOOGLE_API_KEY"):
        env.pop(name, None)
    env.update(extra)
    return env


def gemgate(*args: str, timeout: float = 120, **extra: str) -> subprocess.CompletedProcess[str]:
    """Run the ``gemgate`` command in a clean environment (plus ``extra``)."""
    return subprocess.run(
        [*GEMGATE, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=clean_env(**extra),
        cwd=ROOT,
    )


@asynccontextmanager
async def running(
    *faults: FaultRule,
    clock: Clock | None = None,
    read_timeout_s: float = 10.0,
    key: str = "test-key",
    config: EmulatorConfig | None = None,
    limiter: RateLimiter | None = None,
    transport: TransportSettings | None = None,
    **settings: Any,
) -> AsyncIterator[tuple[GeminiAPIClient, EmulatorServer]]:
    """An in-process emulator with ``faults`` (or ``config``) and a client on it; ``settings``
    replace the default settings' fields."""
    cfg = config or EmulatorConfig(faults=faults)
    transport = transport or TransportSettings(read_timeout_s=read_timeout_s, connect_timeout_s=2.0)
    base = dataclasses.replace(load_settings(None, env={}), transport=transport, **settings)
    async with (
        EmulatorServer(cfg) as emu,
        GeminiAPIClient.from_settings(
            base, Secret(key), base_url=emu.base_url, clock=clock, limiter=limiter
        ) as client,
    ):
        yield client, emu


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Emulator:
    """A `gemgate emulator` process on a free loopback port."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [*GEMGATE, "emulator", "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=clean_env(),
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert match, line
        self.url = match.group(0)

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(self.url + "/_emulator/stats", timeout=5) as resp:
            data: dict[str, Any] = json.load(resp)
            return data

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)
        if self.proc.stdout:
            self.proc.stdout.close()


def redis_answers(url: str) -> bool:
    client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
    try:
        return bool(client.ping())
    except (redis.exceptions.RedisError, OSError):
        return False
    finally:
        client.close()


def unavailable(reason: str) -> None:
    """Skip with the reason; fail instead where services are required (CI)."""
    if os.environ.get("GEMGATE_REQUIRE_SERVICES") == "1":
        pytest.fail(f"required here (GEMGATE_REQUIRE_SERVICES=1): {reason}")
    pytest.skip(reason)


class RedisServer:
    """A ``redis-server`` subprocess of our own on 127.0.0.1: start, stop, freeze, restart."""

    def __init__(self, port: int, *extra: str) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}"
        self.extra = extra  # more redis-server arguments, e.g. "--replicaof", host, port
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            unavailable("no Redis answers and redis-server is not installed")
        args = ["--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.proc = subprocess.Popen([str(binary), *args, *self.extra], stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 5
        while not redis_answers(self.url):  # waiting for a process to come up
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.stop()
                unavailable(f"redis-server did not start on port {self.port}")
            time.sleep(0.02)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None

    def freeze(self) -> None:
        """Stop answering without closing connections: commands time out."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)


async def delete_prefix(url: str, prefix: str) -> None:
    """Delete every key under ``prefix:`` (a test's own keys on a shared Redis)."""
    client = aioredis.Redis.from_url(url)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}:*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()
