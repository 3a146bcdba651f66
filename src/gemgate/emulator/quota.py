"""Server-side limits: requests and input tokens per window, per (credential, model).

Two window kinds, both exact:

* ``sliding`` keeps a log of admitted (time, tokens) and looks at the last ``window_s`` seconds:
  an entry admitted at ``t`` counts while ``now - t < window_s``. A request that does not fit
  is told the exact time until enough of the oldest entries leave the window.
* ``fixed`` counts in aligned windows ``[k·window_s, (k+1)·window_s)`` of the clock; a request
  that does not fit is told the time until the next window starts.

A request that is refused is not counted. A request whose tokens alone exceed the token limit
can never fit; its ``retry_after`` is ``None``.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Protocol

__all__ = ["FixedWindow", "Limits", "QuotaBook", "SlidingLog", "Verdict"]


@dataclass(frozen=True, slots=True)
class Limits:
    """Per-window limits; ``None`` means unlimited."""

    rpm: int | None
    tpm: int | None
    window_s: float
    mode: str = "sliding"


@dataclass(frozen=True, slots=True)
class Verdict:
    """The answer to one admission: admitted, or which limits refused it and for how long."""

    admitted: bool
    requests_exceeded: bool = False
    tokens_exceeded: bool = False
    retry_after: float | None = 0.0


class Window(Protocol):
    def request_wait(self, now: float, limit: int) -> float: ...

    def token_wait(self, now: float, limit: int, tokens: int) -> float | None: ...

    def add(self, now: float, tokens: int) -> None: ...


class SlidingLog:
    """Admissions of the last ``window_s`` seconds, oldest first."""

    def __init__(self, window_s: float) -> None:
        self._window = window_s
        self._log: deque[tuple[float, int]] = deque()
        self._tokens = 0

    def usage(self, now: float) -> tuple[int, int]:
        """(requests, tokens) admitted in the window ending at ``now``."""
        self._prune(now)
        return len(self._log), self._tokens

    def request_wait(self, now: float, limit: int) -> float:
        """Seconds until one more request fits under ``limit`` (0 if it fits now)."""
        self._prune(now)
        excess = len(self._log) + 1 - limit
        if excess <= 0:
            return 0.0
        return self._log[excess - 1][0] + self._window - now

    def token_wait(self, now: float, limit: int, tokens: int) -> float | None:
        """Seconds until ``tokens`` more fit under ``limit``; ``None`` if they never can."""
        if tokens > limit:
            return None
        self._prune(now)
        need = self._tokens + tokens - limit
        if need <= 0:
            return 0.0
        freed = 0
        for admitted_at, amount in self._log:
            freed += amount
            if freed >= need:
                return admitted_at + self._window - now
        return 0.0  # not reached: tokens <= limit, so an empty window always fits them

    def add(self, now: float, tokens: int) -> None:
        self._prune(now)
        self._log.append((now, tokens))
        self._tokens += tokens

    def _prune(self, now: float) -> None:
        while self._log and now - self._log[0][0] >= self._window:
            self._tokens -= self._log.popleft()[1]


class FixedWindow:
    """Counts of the aligned window that contains ``now``."""

    def __init__(self, window_s: float) -> None:
        self._window = window_s
        self._index = -math.inf
        self._count = 0
        self._tokens = 0

    def request_wait(self, now: float, limit: int) -> float:
        self._roll(now)
        return 0.0 if self._count + 1 <= limit else self._time_left(now)

    def token_wait(self, now: float, limit: int, tokens: int) -> float | None:
        if tokens > limit:
            return None
        self._roll(now)
        return 0.0 if self._tokens + tokens <= limit else self._time_left(now)

    def add(self, now: float, tokens: int) -> None:
        self._roll(now)
        self._count += 1
        self._tokens += tokens

    def _roll(self, now: float) -> None:
        index = math.floor(now / self._window)
        if index != self._index:
            self._index, self._count, self._tokens = index, 0, 0

    def _time_left(self, now: float) -> float:
        return max(0.0, (math.floor(now / self._window) + 1) * self._window - now)


class QuotaBook:
    """One window per (credential, model); admits or refuses each generate request."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._windows: dict[tuple[str, str], Window] = {}

    def admit(self, key: tuple[str, str], now: float, tokens: int) -> Verdict:
        """Admit (and count) the request, or say which limits refuse it and for how long."""
        rpm, tpm = self.limits.rpm, self.limits.tpm
        if rpm is None and tpm is None:
            return Verdict(True)
        window = self._window(key)
        request_wait = window.request_wait(now, rpm) if rpm is not None else 0.0
        token_wait = window.token_wait(now, tpm, tokens) if tpm is not None else 0.0
        if request_wait <= 0 and token_wait is not None and token_wait <= 0:
            window.add(now, tokens)
            return Verdict(True)
        retry = None if token_wait is None else max(request_wait, token_wait)
        return Verdict(False, request_wait > 0, token_wait is None or token_wait > 0, retry)

    def _window(self, key: tuple[str, str]) -> Window:
        window = self._windows.get(key)
        if window is None:
            fixed = self.limits.mode == "fixed"
            window = (
                FixedWindow(self.limits.window_s) if fixed else SlidingLog(self.limits.window_s)
            )
            self._windows[key] = window
        return window
