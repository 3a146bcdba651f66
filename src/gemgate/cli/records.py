"""The lines ``gemgate run`` writes: one result per input line, money as decimal strings."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from gemgate.client import Result
from gemgate.observability import RequestFinished

__all__ = ["completed_record", "failed_record", "money"]


def money(value: Decimal | None) -> str | None:
    """A Decimal as a plain decimal string (``"0.000009075"``); ``None`` stays ``None``."""
    if value is None:
        return None
    return format(value.normalize(), "f") if value else "0"


def completed_record(item_id: str, result: Result) -> dict[str, Any]:
    return {
        "id": item_id,
        "status": "completed",
        "text": result.text,
        "model": result.model,
        "usage": result.usage.as_dict(),
        "cost_usd": money(result.cost_usd),
        "attempts": result.attempts,
        "latency_ms": round(result.latency_ms, 1),
        "queue_ms": round(result.queue_ms, 1),
        "region": result.region,
        "finish_reason": result.finish_reason,
        "request_id": result.request_id,
    }


def failed_record(
    item_id: str,
    error: BaseException,
    *,
    kind: str | None = None,
    event: RequestFinished | None = None,
) -> dict[str, Any]:
    """A failure; with the request's final event when it reached the pipeline."""
    status = getattr(error, "status", None)
    retryable = kind != "InvalidInput" and getattr(error, "retryable", True)
    return {
        "id": item_id,
        "status": "failed",
        "text": None,
        "model": event.model if event else None,
        "usage": event.usage.as_dict() if event else None,
        "cost_usd": money(event.cost_usd) if event else None,
        "attempts": event.attempts if event else 0,
        "latency_ms": round(event.latency_ms, 1) if event else None,
        "queue_ms": round(event.queue_ms, 1) if event else None,
        "region": event.region if event else None,
        "finish_reason": None,
        "request_id": event.request_id if event else None,
        "error": {
            "type": kind or type(error).__name__,
            "message": str(error),
            "status": status,
            "retryable": retryable,
        },
    }
