"""The retry policy: a small pure object that decides, and never sleeps.

``RetryPolicy.decide(error, attempt, remaining_s)`` returns :class:`Retry` (wait ``delay``
seconds, then try again) or :class:`GiveUp`. The wait is exponential backoff with *full jitter*
(AWS Architecture Blog, "Exponential Backoff And Jitter"): uniform in
``[0, min(max_delay, base * 2 ** (attempt - 1))]``. A server hint (``RetryInfo.retryDelay`` of a
429, or a proxy's ``Retry-After`` on a 5xx) is a floor: the wait is the hint plus that jitter,
never shorter than what the server asked for, and clients told the same delay do not all wake at
the same instant. A wait that would end past the request's deadline gives up at once instead of
sleeping into a failure.

Retried: 429 (per-minute or capacity), 5xx, timeouts, dropped or refused connections, truncated
or malformed bodies (:class:`TransientError`). Never retried: 400/401/403/404, blocked prompts,
a spent per-day quota, gemgate's own refusals (circuit open, throttled, deadline).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from gemgate.errors import GemgateError

__all__ = ["GiveUp", "Retry", "RetryPolicy"]


@dataclass(frozen=True, slots=True)
class Retry:
    delay: float


@dataclass(frozen=True, slots=True)
class GiveUp:
    reason: str


@dataclass(slots=True)
class RetryPolicy:
    """Which failures are retried, how often, and how long to wait before each retry."""

    max_attempts: int = 5
    base_delay_s: float = 0.1
    max_delay_s: float = 8.0
    rng: random.Random = field(default_factory=random.Random)

    def ceiling(self, attempt: int) -> float:
        """The upper bound of the jittered wait after failed attempt ``attempt`` (1-based)."""
        return float(min(self.max_delay_s, self.base_delay_s * 2 ** (attempt - 1)))

    def decide(
        self,
        error: BaseException,
        attempt: int,
        remaining_s: float | None = None,
        *,
        same_endpoint: bool = True,
    ) -> Retry | GiveUp:
        """``same_endpoint`` False: the next attempt goes elsewhere, so the failed endpoint's
        hint does not hold it back (plain backoff)."""
        if not isinstance(error, GemgateError) or not error.retryable:
            return GiveUp("not retryable")
        if attempt >= self.max_attempts:
            return GiveUp(f"gave up after {attempt} attempts")
        delay = self.rng.uniform(0.0, self.ceiling(attempt))
        hint = getattr(error, "retry_delay", None) if same_endpoint else None
        if hint is not None:  # a floor; the jitter on top keeps waiters from waking together
            delay += hint
        if remaining_s is not None and delay >= remaining_s:
            return GiveUp("the next attempt would start past the deadline")
        return Retry(delay)
