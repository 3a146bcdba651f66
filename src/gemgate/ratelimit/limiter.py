"""Requests-per-window and tokens-per-window limits per model, taken all-or-nothing.

``acquire`` waits (on the injected clock) until both the request unit and the estimated tokens
fit, then takes both at once; ``reconcile`` replaces the estimate with the tokens the service
reported; ``release`` gives a reservation back when the request was never sent. Limits are
sliding windows (:mod:`gemgate.ratelimit.window`), so no window of ``window_s`` ever sees more
than the limit. This is the in-process first version; Redis-shared state comes later.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from gemgate.clock import Clock, SystemClock
from gemgate.errors import DeadlineExceeded
from gemgate.ratelimit.window import Entry, SlidingWindow

__all__ = ["Limits", "RateLimiter", "Reservation"]


@dataclass(frozen=True, slots=True)
class Limits:
    """The limits of one model: ``requests`` and input ``tokens`` per ``window_s``."""

    requests: int | None = None
    tokens: int | None = None
    window_s: float = 60.0


@dataclass(slots=True)
class Reservation:
    model: str
    tokens: int
    waited_s: float
    request_entry: Entry | None = None
    token_entry: Entry | None = None


class RateLimiter:
    """Waits for capacity per model; models without limits pass straight through."""

    def __init__(self, limits: Mapping[str, Limits], clock: Clock | None = None) -> None:
        self.clock = clock or SystemClock()
        self._windows: dict[str, tuple[SlidingWindow | None, SlidingWindow | None]] = {
            model: (
                SlidingWindow(lim.requests, lim.window_s) if lim.requests else None,
                SlidingWindow(lim.tokens, lim.window_s) if lim.tokens else None,
            )
            for model, lim in limits.items()
        }

    def _wait(self, model: str, tokens: int, now: float) -> float:
        requests, token_window = self._windows.get(model, (None, None))
        wait = requests.wait_for(1, now) if requests else 0.0
        if token_window:
            wait = max(wait, token_window.wait_for(min(tokens, token_window.limit), now))
        return wait

    async def acquire(
        self, model: str, tokens: int, *, deadline_at: float | None = None
    ) -> Reservation:
        """Take one request and ``tokens`` from ``model``'s limits, waiting as long as needed."""
        start = self.clock.monotonic()
        while (wait := self._wait(model, tokens, now := self.clock.monotonic())) > 0:
            if deadline_at is not None and now + wait > deadline_at:
                raise DeadlineExceeded(f"rate limit capacity for {model} not before the deadline")
            await self.clock.sleep(wait)
        requests, token_window = self._windows.get(model, (None, None))
        return Reservation(
            model,
            tokens,
            waited_s=now - start,
            request_entry=requests.add(1, now) if requests else None,
            token_entry=token_window.add(tokens, now) if token_window else None,
        )

    def reconcile(self, reservation: Reservation, actual_tokens: int) -> None:
        """Charge the real input tokens instead of the estimate (once per request)."""
        _, token_window = self._windows.get(reservation.model, (None, None))
        if token_window and reservation.token_entry:
            token_window.adjust(reservation.token_entry, actual_tokens)
        reservation.tokens = actual_tokens

    def release(self, reservation: Reservation) -> None:
        """Give back a reservation whose request was never sent."""
        requests, token_window = self._windows.get(reservation.model, (None, None))
        if requests and reservation.request_entry:
            requests.adjust(reservation.request_entry, 0)
        if token_window and reservation.token_entry:
            token_window.adjust(reservation.token_entry, 0)
