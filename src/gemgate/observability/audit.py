"""The audit trail: one JSON record per finished request, and one per circuit breaker
transition, to a logger.

Records carry ids, attribution, usage, cost and the outcome — never prompts, answers or
credentials. The default sink is the ``gemgate.audit`` logger; configure logging to keep it.
"""

from __future__ import annotations

import json
import logging

from gemgate.observability.events import CircuitChanged, Event, RequestFinished

__all__ = ["AuditLog", "audit_record"]


def audit_record(event: RequestFinished) -> dict[str, object]:
    return {
        "request_id": event.request_id,
        "model": event.model,
        "state": event.state.value,
        "attempts": event.attempts,
        "latency_ms": round(event.latency_ms, 1),
        "region": event.region,
        "user": event.user,
        "feature": event.feature,
        "team": event.team,
        "usage": event.usage.as_dict(),
        "cost_usd": None if event.cost_usd is None else str(event.cost_usd),
        "error": event.error,
        "error_type": event.error_type,
    }


class AuditLog:
    """A listener that writes each :class:`RequestFinished` and :class:`CircuitChanged` as
    one JSON line."""

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self.logger = logger or logging.getLogger("gemgate.audit")

    def __call__(self, event: Event) -> None:
        if not self.logger.isEnabledFor(logging.INFO):
            return
        if isinstance(event, RequestFinished):
            self.logger.info(json.dumps(audit_record(event), ensure_ascii=False))
        elif isinstance(event, CircuitChanged):
            record = {"event": "circuit", "endpoint": event.endpoint, "model": event.model}
            record |= {"from": event.old, "to": event.new}
            self.logger.info(json.dumps(record, ensure_ascii=False))
