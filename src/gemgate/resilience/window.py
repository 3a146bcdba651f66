"""Counts of events over the last ``window_s`` seconds, on an injected clock.

The window is cut into ``slots`` equal slots; a count leaves the window when its slot does, so
the totals cover between ``window_s - window_s / slots`` and ``window_s`` seconds. Counts are
integers: no drift, however long the process runs.
"""

from __future__ import annotations

from collections import deque

from gemgate.clock import Clock

__all__ = ["WindowCounts"]


class WindowCounts:
    """``kinds`` counters (0, 1, …) summed over a sliding window of slots."""

    __slots__ = ("_clock", "_per_s", "_ring", "_slots", "totals")

    def __init__(self, clock: Clock, window_s: float, *, kinds: int = 2, slots: int = 10) -> None:
        if window_s <= 0 or slots < 1:
            raise ValueError("a window needs a positive length and at least one slot")
        self._clock = clock
        self._per_s = slots / window_s  # slots per second
        self._slots = slots
        self._ring: deque[tuple[int, list[int]]] = deque()
        self.totals = [0] * kinds

    def _expire(self) -> int:
        now = int(self._clock.monotonic() * self._per_s)
        ring = self._ring
        while ring and ring[0][0] <= now - self._slots:
            for kind, count in enumerate(ring.popleft()[1]):
                self.totals[kind] -= count
        return now

    def add(self, *kinds: int) -> None:
        """Count one event of each of ``kinds`` (a kind given twice counts twice)."""
        now = self._expire()
        ring = self._ring
        if not ring or ring[-1][0] != now:
            ring.append((now, [0] * len(self.totals)))
        slot, totals = ring[-1][1], self.totals
        for kind in kinds:
            slot[kind] += 1
            totals[kind] += 1

    def clear(self) -> None:
        """Forget every count."""
        self._ring.clear()
        self.totals = [0] * len(self.totals)

    def current(self) -> list[int]:
        """The totals of each kind within the window, now."""
        self._expire()
        return self.totals
