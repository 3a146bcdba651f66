"""An exact sliding-window limit on a Clock: never more than ``limit`` units in any ``window_s``.

Each admitted amount is logged with its time; an amount fits when the units logged in the last
``window_s`` plus it stay within the limit, and ``wait_for`` says exactly when it will. This is
the first, in-process version: one process, memory proportional to the requests in a window.
Times are kept as integer microseconds so that no float drift lets a window hold one unit more.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

from gemgate.errors import InvalidRequest

__all__ = ["Entry", "SlidingWindow"]


def to_us(seconds: float) -> int:
    """Clock seconds -> integer microseconds (floor), the window's unit of time."""
    return math.floor(seconds * 1_000_000)


@dataclass(slots=True)
class Entry:
    at_us: int
    amount: int
    expired: bool = False


class SlidingWindow:
    """The units admitted in the last ``window_s`` seconds, and when more will fit."""

    def __init__(self, limit: int, window_s: float = 60.0) -> None:
        if limit < 1 or window_s <= 0:
            raise ValueError("a limit needs a positive amount and window")
        self.limit = limit
        self.window_s = window_s
        self._window_us = to_us(window_s)
        self._log: deque[Entry] = deque()
        self._used = 0

    def _expire(self, now: float) -> None:
        horizon = to_us(now) - self._window_us
        while self._log and self._log[0].at_us <= horizon:
            entry = self._log.popleft()
            entry.expired = True
            self._used -= entry.amount

    def used(self, now: float) -> int:
        self._expire(now)
        return self._used

    def wait_for(self, amount: int, now: float) -> float:
        """Seconds until ``amount`` fits (0.0 if it fits now)."""
        if amount > self.limit:
            raise InvalidRequest(f"{amount} units can never fit a limit of {self.limit}")
        self._expire(now)
        excess = self._used + amount - self.limit
        if excess <= 0:
            return 0.0
        for entry in self._log:  # oldest first: each expiry frees its amount
            excess -= entry.amount
            if excess <= 0:
                return (entry.at_us + self._window_us - to_us(now)) / 1_000_000
        return self.window_s

    def add(self, amount: int, now: float) -> Entry:
        entry = Entry(to_us(now), amount)
        self._log.append(entry)
        self._used += amount
        return entry

    def adjust(self, entry: Entry, amount: int) -> None:
        """Replace an entry's amount once the real usage is known (refund or extra charge).

        An entry that has already left the window changes nothing: it no longer counts."""
        if not entry.expired:
            self._used += amount - entry.amount
        entry.amount = amount
