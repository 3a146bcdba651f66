"""Fixtures: a real emulator on 127.0.0.1 and a client pointed at it (see tests/support.py)."""

from __future__ import annotations

from support import running

__all__ = ["running"]
