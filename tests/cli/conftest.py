"""Fixtures for the command line: real `gemgate` processes, a real emulator process."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support import GEMGATE, ROOT, Emulator, clean_env, gemgate, read_jsonl

__all__ = ["EXAMPLES", "GEMGATE", "KEY", "Emulator", "env", "gemgate", "read_jsonl"]

EXAMPLES = ROOT / "examples" / "prompts.jsonl"
KEY = "cli-test-" + "key-31337"
env = clean_env


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
