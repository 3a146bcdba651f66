"""The emulator's settings: one frozen value, validated when it is made.

``EmulatorConfig()`` with no arguments is an unlimited, fault-free, zero-latency server on a free
loopback port. Limits apply per (credential, model): ``rpm`` requests and ``tpm`` input tokens in
any window of ``window_s`` seconds (``sliding``) or in each aligned window (``fixed``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from gemgate.emulator.faults import FaultRule, parse_fault_plan

__all__ = ["EmulatorConfig", "LimitMode"]

LimitMode = Literal["sliding", "fixed"]


@dataclass(frozen=True, slots=True)
class EmulatorConfig:
    """How the emulator behaves; see ``docs/emulator.md``.

    >>> EmulatorConfig(rpm=5, window_s=1.0).limit_mode
    'sliding'
    """

    rpm: int | None = None
    tpm: int | None = None
    window_s: float = 60.0
    limit_mode: LimitMode = "sliding"
    latency_ms: float = 0.0
    error_rate: float = 0.0
    seed: int = 0
    api_keys: tuple[str, ...] = ()
    bad_keys: tuple[str, ...] = ()
    faults: tuple[FaultRule, ...] = ()
    host: str = "127.0.0.1"
    port: int = 0

    def __post_init__(self) -> None:
        _check_limit("rpm", self.rpm)
        _check_limit("tpm", self.tpm)
        if not (math.isfinite(self.window_s) and self.window_s > 0):
            raise ValueError(f"window_s must be a positive number of seconds, not {self.window_s}")
        if self.limit_mode not in ("sliding", "fixed"):
            raise ValueError(f"limit_mode must be 'sliding' or 'fixed', not {self.limit_mode!r}")
        if not (math.isfinite(self.latency_ms) and self.latency_ms >= 0):
            raise ValueError(f"latency_ms must be >= 0, not {self.latency_ms}")
        if not 0.0 <= self.error_rate <= 1.0:
            raise ValueError(f"error_rate must be within [0, 1], not {self.error_rate}")
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port must be within [0, 65535], not {self.port}")
        object.__setattr__(self, "api_keys", tuple(self.api_keys))
        object.__setattr__(self, "bad_keys", tuple(self.bad_keys))
        object.__setattr__(self, "faults", parse_fault_plan(list(self.faults)))

    def __repr__(self) -> str:
        # Keys are secrets: show how many there are, never what they are.
        return (
            f"EmulatorConfig(rpm={self.rpm}, tpm={self.tpm}, window_s={self.window_s}, "
            f"limit_mode={self.limit_mode!r}, latency_ms={self.latency_ms}, "
            f"error_rate={self.error_rate}, seed={self.seed}, "
            f"api_keys=<{len(self.api_keys)} hidden>, bad_keys=<{len(self.bad_keys)} hidden>, "
            f"faults=<{len(self.faults)} rules>, host={self.host!r}, port={self.port})"
        )


def _check_limit(name: str, value: int | None) -> None:
    if value is not None and (isinstance(value, bool) or value < 1):
        raise ValueError(f"{name} must be a positive integer or None, not {value!r}")
