"""Turn an HTTP error answer into a typed :mod:`gemgate.errors` error.

Google's error body is ``{"error": {"code", "message", "status", "details"}}``; ``details`` may hold
``google.rpc.RetryInfo`` (``retryDelay``: a Duration such as ``"34.4s"``), ``QuotaFailure``
(violations whose ``quotaId`` tells per-minute from per-day and requests from tokens) and
``ErrorInfo`` (``reason`` such as ``API_KEY_INVALID``). Proxies in between may answer with an HTML
page, truncated JSON or the error wrapped in a JSON array: those still become typed errors with
the status and a short, safe excerpt. Google sends no ``Retry-After``; a proxy may, so it is read
as a fallback. A mid-stream error arrives on an HTTP 200: its own ``code`` is the status then.
"""

from __future__ import annotations

import email.utils
import json
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from datetime import time as dt_time
from typing import Any
from zoneinfo import ZoneInfo

from gemgate.errors import (
    AuthenticationError,
    DailyQuotaExhausted,
    GemgateError,
    InvalidRequest,
    QuotaViolation,
    RateLimited,
    RequestTimeout,
    ServerError,
)
from gemgate.wire.types import JSONObject

__all__ = [
    "classify_error",
    "error_from_payload",
    "next_pacific_midnight",
    "parse_duration",
    "safe_excerpt",
]

_RPC = "type.googleapis.com/google.rpc."
_DURATION = re.compile(r"^\s*(-?\d+(?:\.\d+)?)s\s*$")
_RETRY_IN_TEXT = re.compile(r"[Pp]lease retry in (\d+(?:\.\d+)?)(m?s)\b")
_KEY_SHAPE = re.compile(r"AIza[0-9A-Za-z_\-]{20,}|ya29\.[0-9A-Za-z_\-.]{10,}")
_TAG = re.compile(r"<[^>]*>")
_SCRIPT_OR_STYLE = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_EXCERPT_CHARS = 160
_PACIFIC = ZoneInfo("America/Los_Angeles")


def parse_duration(value: object) -> float | None:
    """A protobuf Duration in JSON (``"34.4s"``) -> seconds; ``None`` if it is not one."""
    if not isinstance(value, str):
        return None
    match = _DURATION.match(value)
    return float(match.group(1)) if match else None


def _one_line(text: str) -> str:
    """Whitespace collapsed, key-shaped strings redacted (before the cut), at most 160 chars."""
    text = _KEY_SHAPE.sub("<redacted>", " ".join(text.split()))
    return text if len(text) <= _EXCERPT_CHARS else text[: _EXCERPT_CHARS - 1] + "…"


def safe_excerpt(body: bytes | str) -> str:
    """A short one-line excerpt of a body, tags stripped, key-shaped strings redacted.

    For bodies that may be HTML (a proxy's error page): ``<script>``/``<style>`` blocks go with
    their content so that the excerpt shows the page's words, not its CSS.
    """
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    return _one_line(_TAG.sub(" ", _SCRIPT_OR_STYLE.sub(" ", text)))


def _error_object(body: bytes) -> JSONObject | None:
    try:
        value: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if isinstance(value, list) and value and isinstance(value[0], dict):
        value = value[0]
    if isinstance(value, dict) and isinstance(value.get("error"), dict):
        error: JSONObject = value["error"]
        return error
    return None


def _violations(details: list[JSONObject]) -> tuple[QuotaViolation, ...]:
    found: list[QuotaViolation] = []
    for detail in details:
        if detail.get("@type") != _RPC + "QuotaFailure":
            continue
        for v in detail.get("violations") or ():
            value = v.get("quotaValue")
            found.append(
                QuotaViolation(
                    quota_metric=str(v.get("quotaMetric", "")),
                    quota_id=str(v.get("quotaId", "")),
                    quota_value=int(value)
                    if isinstance(value, str | int) and str(value).isdigit()
                    else None,
                    model=(v.get("quotaDimensions") or {}).get("model"),
                )
            )
    return tuple(found)


def _detail(details: list[JSONObject], kind: str) -> JSONObject:
    return next((d for d in details if d.get("@type") == _RPC + kind), {})


def _retry_after(headers: Mapping[str, str] | None, now: float) -> float | None:
    """``Retry-After`` (any letter case) in seconds or as an HTTP date (always UTC)."""
    value = next((v for k, v in (headers or {}).items() if k.lower() == "retry-after"), "")
    if not value.strip():
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # asctime and "-0000" dates parse naive; HTTP dates are GMT
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


def _delay_in_message(message: str) -> float | None:
    match = _RETRY_IN_TEXT.search(message)
    if not match:
        return None
    seconds = float(match.group(1))
    return seconds / 1000 if match.group(2) == "ms" else seconds


def _rate_limited(
    message: str, details: list[JSONObject], retry_after: float | None, request_id: str | None
) -> RateLimited:
    """RetryInfo first, then a proxy's Retry-After, then "Please retry in 47.1s." in the text."""
    violations = _violations(details)
    delay = parse_duration(_detail(details, "RetryInfo").get("retryDelay"))
    if delay is None:
        delay = retry_after if retry_after is not None else _delay_in_message(message)
    cls = DailyQuotaExhausted if any(v.per_day for v in violations) else RateLimited
    error = cls(
        _one_line(message), retry_delay=delay, quota_violations=violations, request_id=request_id
    )
    if isinstance(error, DailyQuotaExhausted):
        error.resets_at = next_pacific_midnight(datetime.now(UTC))
    return error


def next_pacific_midnight(now: datetime) -> datetime:
    """When per-day quotas reset after ``now``: the next midnight in Pacific time (in UTC)."""
    local = now.astimezone(_PACIFIC)
    midnight = datetime.combine(local.date() + timedelta(days=1), dt_time(), tzinfo=_PACIFIC)
    return midnight.astimezone(UTC)


def error_from_payload(
    status: int,
    error: JSONObject,
    *,
    request_id: str | None = None,
    retry_after: float | None = None,
) -> GemgateError:
    """A decoded ``error`` object (from a body or a mid-stream event) -> a typed error.

    ``status`` is the HTTP status; when it is not an error status (a mid-stream error on a 200)
    the object's own ``code`` classifies it. The message is the service's, made one short line.
    """
    code = error.get("code")
    if status < 400 and isinstance(code, int) and code >= 400:
        status = code
    message = str(error.get("message") or f"HTTP {status}")
    details = [d for d in error.get("details") or () if isinstance(d, dict)]
    if status == 429:
        return _rate_limited(message, details, retry_after, request_id)
    api_status = error.get("status") if isinstance(error.get("status"), str) else None
    reason = _detail(details, "ErrorInfo").get("reason")
    cls = _class_for(status, reason)
    message = _one_line(message)
    if cls is ServerError:  # a proxy's Retry-After on a 502/503 is a floor for the next wait
        return ServerError(
            message,
            retry_delay=retry_after,
            status=status,
            api_status=api_status,
            reason=reason,
            request_id=request_id,
        )
    return cls(message, status=status, api_status=api_status, reason=reason, request_id=request_id)


def _class_for(status: int, reason: str | None) -> type[GemgateError]:
    if status in (401, 403) or (reason or "").startswith("API_KEY_"):
        return AuthenticationError
    if status == 408:
        return RequestTimeout
    if 400 <= status < 500:
        return InvalidRequest
    return ServerError


def classify_error(
    status: int,
    body: bytes,
    *,
    headers: Mapping[str, str] | None = None,
    request_id: str | None = None,
    now: float | None = None,
) -> GemgateError:
    """An HTTP answer with an error status -> the typed error a caller can act on."""
    retry_after = _retry_after(headers, time.time() if now is None else now)
    error = _error_object(body)
    if error is None:
        error = {"message": f"HTTP {status}: {safe_excerpt(body)}" if body else f"HTTP {status}"}
    return error_from_payload(status, error, request_id=request_id, retry_after=retry_after)
