"""A retry budget: retries may add at most ``ratio`` of the requests, plus a small floor.

Over the last ``window_s`` seconds, a retry is allowed while
``retries + 1 <= ratio * requests + min_per_s * window_s`` (Finagle's RetryBudget, the gRPC
retry throttling idea): when every call fails, the load on the service is at most
``(1 + ratio)`` times the requests plus the floor, instead of ``max_attempts`` times. The
arithmetic is in integer thousandths, so ``0.1 * 200`` allows exactly 20.
"""

from __future__ import annotations

from gemgate.clock import Clock
from gemgate.resilience.window import WindowCounts

__all__ = ["RetryBudget"]

_REQUESTS, _RETRIES = 0, 1


class RetryBudget:
    """Counts requests and retries; ``try_retry`` spends one retry if the budget allows it."""

    __slots__ = ("_counts", "_floor", "_ratio", "min_per_s", "ratio", "window_s")

    def __init__(
        self, clock: Clock, *, ratio: float = 0.1, min_per_s: float = 1.0, window_s: float = 10.0
    ) -> None:
        if ratio < 0 or min_per_s < 0:
            raise ValueError("a retry budget's ratio and floor are at least 0")
        self.ratio, self.min_per_s, self.window_s = ratio, min_per_s, window_s
        self._ratio = round(ratio * 1000)
        self._floor = round(min_per_s * window_s * 1000)
        self._counts = WindowCounts(clock, window_s)

    def request(self) -> None:
        """A new request (its first attempt) entered the client."""
        self._counts.add(_REQUESTS)

    def allowed(self) -> int:
        """How many more retries the budget allows now."""
        requests, retries = self._counts.current()
        return max(0, (self._ratio * requests + self._floor) // 1000 - retries)

    def try_retry(self) -> bool:
        """Spend one retry; ``False`` (nothing spent) when the budget is used up."""
        if self.allowed() < 1:
            return False
        self._counts.add(_RETRIES)
        return True
