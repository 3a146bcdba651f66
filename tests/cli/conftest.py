"""Fixtures for the command line: real `gemgate` processes, a real emulator process."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest

from support import GEMGATE, ROOT, Emulator, clean_env, read_jsonl

__all__ = ["EXAMPLES", "GEMGATE", "KEY", "Emulator", "env", "gemgate", "read_jsonl"]

EXAMPLES = ROOT / "examples" / "prompts.jsonl"
KEY = "cli-test-" + "key-31337"


def env(**extra: str) -> dict[str, str]:
    return clean_env(**extra)


def gemgate(*args: str, timeout: float = 120, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*GEMGATE, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env(**extra),
        cwd=ROOT,
    )


@pytest.fixture
def slow_emulator() -> Iterator[Emulator]:
    emu = Emulator("--latency-ms", "150")
    yield emu
    emu.stop()


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    emu = Emulator()
    yield emu
    emu.stop()
