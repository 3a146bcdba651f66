"""Client-side adaptive throttling (Google SRE book, "Handling Overload").

Per endpoint, over the last ``window_s`` seconds (two minutes in the book), the client counts the
``requests`` it tried to send and the ``accepts``: answers that were not an overload signal. A new
request is refused locally with probability ``max(0, (requests - k * accepts) / (requests + 1))``.
With ``k = 2`` an endpoint that accepts half of what it gets sees no refusals; one that accepts
nothing sees almost every request refused locally, without a byte sent, while a trickle keeps
probing it. Refused requests count as requests, so recovery shows as soon as accepts come back.

A sent request is counted when its outcome is known (``outcome``), not when it leaves: a burst of
requests still in flight is not a burst of rejections. A cancelled one is not counted at all.

``min_requests`` keeps a fresh client (one failed call out of one) from refusing half its next
calls: throttling starts once the window holds that many requests.
"""

from __future__ import annotations

import random

from gemgate.clock import Clock
from gemgate.resilience.window import WindowCounts

__all__ = ["AdaptiveThrottle"]

_REQUESTS, _ACCEPTS = 0, 1


class AdaptiveThrottle:
    """One endpoint's request and accept counts and its local refusal probability."""

    __slots__ = ("_counts", "_rng", "k", "min_requests")

    def __init__(
        self,
        clock: Clock,
        *,
        k: float = 2.0,
        window_s: float = 120.0,
        min_requests: int = 20,
        rng: random.Random | None = None,
    ) -> None:
        if k < 1:
            raise ValueError("k below 1 refuses requests the endpoint would accept")
        self.k, self.min_requests = k, min_requests
        self._counts = WindowCounts(clock, window_s, slots=24)
        self._rng = rng or random.Random()

    def probability(self) -> float:
        """The chance that the next request is refused locally."""
        requests, accepts = self._counts.current()
        if requests < self.min_requests or requests <= self.k * accepts:
            return 0.0
        return (requests - self.k * accepts) / (requests + 1)

    def refuse(self) -> float:
        """0.0 when the request may go; else the probability it was refused with (and the
        refusal is counted as a request)."""
        p = self.probability()
        if p > 0.0 and self._rng.random() < p:
            self._counts.add(_REQUESTS)
            return p
        return 0.0

    def reset(self) -> None:
        """Forget the window: the endpoint has just proved itself healthy again."""
        self._counts.clear()

    def outcome(self, accepted: bool) -> None:
        """A sent request ended: ``accepted`` unless it was an overload signal (5xx, 429,
        timeout, dropped connection)."""
        if accepted:
            self._counts.add(_REQUESTS, _ACCEPTS)
        else:
            self._counts.add(_REQUESTS)
