"""What the emulator saw and did, for ``GET /_emulator/stats``.

``max_requests_in_window`` / ``max_tokens_in_window`` are the most requests / input tokens
admitted for one (credential, model) within any ``window_s`` seconds. They are measured on a
sliding log in both limit modes, so they are exact; in ``fixed`` mode they may legitimately reach
twice the limit across a window boundary. Credentials never appear: only a short fingerprint.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from gemgate.emulator.quota import SlidingLog

__all__ = ["Stats", "fingerprint"]


def fingerprint(credential: str) -> str:
    """A short, stable, non-reversible name for a credential."""
    return "sha256:" + hashlib.sha256(credential.encode()).hexdigest()[:10]


@dataclass(slots=True)
class _Meter:
    log: SlidingLog
    admitted_requests: int = 0
    admitted_tokens: int = 0
    max_requests: int = 0
    max_tokens: int = 0

    def add(self, now: float, tokens: int) -> None:
        self.log.add(now, tokens)
        requests, in_window = self.log.usage(now)
        self.admitted_requests += 1
        self.admitted_tokens += tokens
        self.max_requests = max(self.max_requests, requests)
        self.max_tokens = max(self.max_tokens, in_window)

    def as_dict(self, credential: str, model: str) -> dict[str, Any]:
        return {
            "credential": credential,
            "model": model,
            "admitted_requests": self.admitted_requests,
            "admitted_tokens": self.admitted_tokens,
            "max_requests_in_window": self.max_requests,
            "max_tokens_in_window": self.max_tokens,
        }


@dataclass(slots=True)
class Stats:
    """Counters since start or the last reset."""

    window_s: float
    requests_total: int = 0
    rate_limited: int = 0
    injected_errors: int = 0
    by_status: Counter[str] = field(default_factory=Counter)
    by_region: Counter[str] = field(default_factory=Counter)
    by_method: Counter[str] = field(default_factory=Counter)
    by_model: Counter[str] = field(default_factory=Counter)
    by_fault: Counter[str] = field(default_factory=Counter)
    by_credential: Counter[str] = field(default_factory=Counter)
    _meters: dict[tuple[str, str], _Meter] = field(default_factory=dict)

    def note_call(self, region: str, method: str, model: str | None) -> None:
        """A request reached a known API path."""
        self.by_region[region] += 1
        self.by_method[method] += 1
        if model is not None:
            self.by_model[model] += 1

    def note_admitted(self, credential: str, model: str, now: float, tokens: int) -> None:
        """A generate request passed the limits and was answered."""
        key = (credential, model)
        meter = self._meters.get(key)
        if meter is None:
            meter = self._meters[key] = _Meter(SlidingLog(self.window_s))
        meter.add(now, tokens)

    def snapshot(self) -> dict[str, Any]:
        """A JSON-ready copy; keys of the ``by_*`` maps are strings."""
        meters = [m.as_dict(cred, model) for (cred, model), m in sorted(self._meters.items())]
        live = list(self._meters.values())
        return {
            "requests_total": self.requests_total,
            "by_status": dict(sorted(self.by_status.items())),
            "by_region": dict(sorted(self.by_region.items())),
            "by_method": dict(sorted(self.by_method.items())),
            "by_model": dict(sorted(self.by_model.items())),
            "by_credential": dict(sorted(self.by_credential.items())),
            "by_fault": dict(sorted(self.by_fault.items())),
            "rate_limited": self.rate_limited,
            "injected_errors": self.injected_errors,
            "admitted_requests": sum(m.admitted_requests for m in live),
            "admitted_tokens": sum(m.admitted_tokens for m in live),
            "max_requests_in_window": max((m.max_requests for m in live), default=0),
            "max_tokens_in_window": max((m.max_tokens for m in live), default=0),
            "window_s": self.window_s,
            "windows": meters,
        }
