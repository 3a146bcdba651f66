"""Helpers for the adversarial review tests: a real emulator on 127.0.0.1 and a client on it."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from gemgate.client import GeminiAPIClient
from gemgate.clock import Clock
from gemgate.config import load_settings
from gemgate.config.settings import TransportSettings
from gemgate.credentials import Secret
from gemgate.emulator import EmulatorConfig, EmulatorServer, FaultRule
from gemgate.ratelimit import RateLimiter


def google_shaped_key() -> str:
    """A key shaped like a real Google API key (AIza + 35 chars), built at runtime."""
    return "AI" + "za" + "Sy" + "".join(chr(ord("A") + (i * 7) % 26) for i in range(33))


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
    cfg = config or EmulatorConfig(faults=faults)
    base = load_settings(None, env={})
    transport = transport or TransportSettings(read_timeout_s=read_timeout_s, connect_timeout_s=2.0)
    base = dataclasses.replace(base, transport=transport, **settings)
    async with (
        EmulatorServer(cfg) as emu,
        GeminiAPIClient.from_settings(
            base, Secret(key), base_url=emu.base_url, clock=clock, limiter=limiter
        ) as c,
    ):
        yield c, emu


# --- command line helpers (same approach as tests/cli/conftest.py: real processes) -------------

import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import urllib.request  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
GEMGATE = [sys.executable, "-m", "gemgate.cli"]


def env(**extra: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GEMGATE_")}
    for name in ("GEMINI_API_KEY", "GOOGLE_API_KEY"):
        clean.pop(name, None)
    clean.update(extra)
    return clean


def gemgate(*args: str, timeout: float = 60, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*GEMGATE, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env(**extra),
        cwd=ROOT,
    )


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


class Emulator:
    """A `gemgate emulator` process on a free loopback port."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [*GEMGATE, "emulator", "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env(),
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
