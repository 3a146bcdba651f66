"""The error tree of gemgate: one root, classified by what the caller does next.

::

    GemgateError                      root; every error gemgate raises is one of these
    ├── ConfigError (ValueError)      a bad setting: names the file, the key and the reason
    ├── InvalidRequest (ValueError)   fix the request: HTTP 400/404/413/422, bad input
    │   ├── ExceedsLimit              one request costs more than a limit's burst can ever hold
    │   └── NoSuchRegion              pinned to a region that no configured endpoint serves
    ├── AuthenticationError           fix the credential: 401, 403, API_KEY_INVALID
    ├── PromptBlocked                 the prompt itself was refused (HTTP 200, blockReason)
    ├── Rejected                      gemgate refused to send it
    │   ├── QueueFull                 admission queue at its size limit
    │   ├── BudgetExceeded            a spending limit would be passed
    │   ├── LimiterUnavailable        shared limit state unreachable and configured fail-closed
    │   ├── Throttled                 the endpoint rejects most requests: refused locally
    │   └── DeadlineExceeded (TimeoutError)  no time left to start or finish the request
    ├── CircuitOpen                   the endpoint is failing; carries when it will be probed
    └── TransientError                worth retrying (``retryable`` is True unless said otherwise)
        ├── RateLimited               429: carries ``retry_delay`` and the quota violations
        │   └── DailyQuotaExhausted   a per-day quota: not retryable; carries ``resets_at``
        ├── ServerError               5xx (``retry_delay`` from a proxy's Retry-After, if any)
        ├── ConnectionFailed (ConnectionError)  refused, reset, dropped
        ├── RequestTimeout (TimeoutError)       connect or read timeout
        └── MalformedResponse         a 2xx body that is truncated or not the expected JSON

Errors carry attributes (``status``, ``retry_delay``, ``request_id``, ``quota_violations``,
``reason``); callers never parse messages. Messages are short and never contain credentials.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = [
    "AuthenticationError",
    "BudgetExceeded",
    "CircuitOpen",
    "ConfigError",
    "ConnectionFailed",
    "DailyQuotaExhausted",
    "DeadlineExceeded",
    "ExceedsLimit",
    "GemgateError",
    "InvalidRequest",
    "LimiterUnavailable",
    "MalformedResponse",
    "NoSuchRegion",
    "PromptBlocked",
    "QueueFull",
    "QuotaViolation",
    "RateLimited",
    "Rejected",
    "RequestTimeout",
    "ServerError",
    "Throttled",
    "TransientError",
]


class GemgateError(Exception):
    """Root of every error gemgate raises.

    ``status`` is the HTTP status when a server answered, ``None`` otherwise. ``api_status`` is
    Google's canonical status string (``"RESOURCE_EXHAUSTED"``), ``reason`` the ErrorInfo reason
    (``"API_KEY_INVALID"``), ``request_id`` gemgate's id of the request when known.
    """

    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        api_status: str | None = None,
        reason: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.api_status = api_status
        self.reason = reason
        self.request_id = request_id

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, status={self.status!r})"


class ConfigError(GemgateError, ValueError):
    """A setting is wrong. ``source`` is the file (or ``"environment"``), ``key`` the setting."""

    def __init__(self, source: str, key: str, reason: str) -> None:
        super().__init__(f"{source}: {key}: {reason}")
        self.source = source
        self.key = key
        self.reason_text = reason


class InvalidRequest(GemgateError, ValueError):
    """The request is wrong and resending it unchanged will fail the same way."""


class ExceedsLimit(InvalidRequest):
    """A single request needs more of a limit (``dimension``) than its bucket can ever hold."""

    def __init__(self, dimension: str, cost: int, capacity: int) -> None:
        super().__init__(
            f"a request costing {cost} {dimension} can never fit a burst of {capacity}; "
            "raise the limit's burst or split the request"
        )
        self.dimension = dimension
        self.cost = cost
        self.capacity = capacity


class AuthenticationError(GemgateError):
    """The credential is missing, invalid, leaked or not allowed for this API."""


class PromptBlocked(GemgateError):
    """The service refused the prompt (``promptFeedback.blockReason``)."""

    def __init__(self, block_reason: str, *, request_id: str | None = None) -> None:
        super().__init__(f"prompt blocked: {block_reason}", status=200, request_id=request_id)
        self.block_reason = block_reason


class Rejected(GemgateError):
    """gemgate refused to send the request; nothing reached the service."""


class QueueFull(Rejected):
    """The admission queue is at its size limit."""


class BudgetExceeded(Rejected):
    """Sending the request could pass a spending limit."""


class LimiterUnavailable(Rejected):
    """The shared rate-limit state (Redis) is unreachable and the limiter is set to fail closed."""


class DeadlineExceeded(Rejected, TimeoutError):
    """The request's deadline passed (or would pass) before it could complete."""


class Throttled(Rejected):
    """Adaptive throttling refused the request locally: ``endpoint`` has been rejecting most of
    what it was sent (Google SRE book, "Handling Overload")."""

    def __init__(self, endpoint: str, probability: float) -> None:
        super().__init__(
            f"{endpoint} is overloaded; refused locally (rejecting {probability:.0%} of requests)"
        )
        self.endpoint = endpoint
        self.probability = probability


class CircuitOpen(GemgateError):
    """The breaker of ``endpoint`` (and ``model``) is open: nothing is sent there until
    ``retry_at``, the monotonic time (``gemgate.clock``) when a probe may go."""

    def __init__(self, endpoint: str, retry_at: float, *, model: str | None = None) -> None:
        where = f"{endpoint} ({model})" if model else endpoint
        super().__init__(f"circuit open for {where}")
        self.endpoint = endpoint
        self.model = model
        self.retry_at = retry_at


class NoSuchRegion(InvalidRequest):
    """A request pinned to ``region``, which none of the configured endpoints is."""

    def __init__(self, region: str, known: tuple[str, ...]) -> None:
        super().__init__(f"no endpoint for region {region!r}; configured: {', '.join(known)}")
        self.region = region
        self.known = known


class TransientError(GemgateError):
    """A failure that the same request may not meet again: worth retrying after a pause.

    ``retry_delay`` is how long the server asked to wait (seconds), when it said.
    """

    retryable = True
    retry_delay: float | None = None


@dataclass(frozen=True, slots=True)
class QuotaViolation:
    """One ``google.rpc.QuotaFailure`` violation."""

    quota_metric: str
    quota_id: str
    quota_value: int | None = None
    model: str | None = None

    @property
    def per_day(self) -> bool:
        return "PerDay" in self.quota_id

    @property
    def per_minute(self) -> bool:
        return "PerMinute" in self.quota_id

    @property
    def tokens(self) -> bool:
        """True for a token quota, False for a request quota."""
        return "token" in self.quota_metric.lower() or "Tokens" in self.quota_id


class RateLimited(TransientError):
    """HTTP 429 RESOURCE_EXHAUSTED. ``retry_delay`` is the server's hint in seconds, if any."""

    def __init__(
        self,
        message: str,
        *,
        retry_delay: float | None = None,
        quota_violations: tuple[QuotaViolation, ...] = (),
        status: int | None = 429,
        request_id: str | None = None,
    ) -> None:
        super().__init__(
            message, status=status, api_status="RESOURCE_EXHAUSTED", request_id=request_id
        )
        self.retry_delay = retry_delay
        self.quota_violations = quota_violations

    @property
    def quota_metric(self) -> str | None:
        return self.quota_violations[0].quota_metric if self.quota_violations else None


class DailyQuotaExhausted(RateLimited):
    """A per-day quota is spent: retrying before the daily reset only fails again.

    ``resets_at`` is when the quota resets (midnight Pacific time, as an aware datetime)."""

    retryable = False
    resets_at: datetime | None = None


class ServerError(TransientError):
    """HTTP 5xx; ``retry_delay`` from a ``Retry-After`` header (a proxy's) when there was one."""

    def __init__(self, message: str, *, retry_delay: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_delay = retry_delay


class ConnectionFailed(TransientError, ConnectionError):
    """The connection was refused, reset or dropped before a complete answer."""


class RequestTimeout(TransientError, TimeoutError):
    """A connect or read timeout of one attempt."""


class MalformedResponse(TransientError):
    """A success status whose body is truncated or is not the JSON the API returns."""
