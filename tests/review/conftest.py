"""Helpers for the adversarial review tests: a real emulator on 127.0.0.1 and a client on it."""

from __future__ import annotations

from support import Emulator, clean_env, gemgate, read_jsonl, running

__all__ = ["Emulator", "env", "gemgate", "google_shaped_key", "read_jsonl", "running"]
env = clean_env


def google_shaped_key() -> str:
    """A key shaped like a real Google API key (AIza + 35 chars), built at runtime."""
    return "AI" + "za" + "Sy" + "".join(chr(ord("A") + (i * 7) % 26) for i in range(33))
