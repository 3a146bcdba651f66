"""Observability: the event vocabulary, metrics and the audit trail."""

from gemgate.observability.audit import AuditLog, audit_record
from gemgate.observability.events import (
    AttemptFailed,
    CircuitChanged,
    Event,
    EventBus,
    Listener,
    RequestFinished,
    RequestState,
    StateChanged,
)
from gemgate.observability.metrics import Latencies, Metrics, percentile

__all__ = [
    "AttemptFailed",
    "AuditLog",
    "CircuitChanged",
    "Event",
    "EventBus",
    "Latencies",
    "Listener",
    "Metrics",
    "RequestFinished",
    "RequestState",
    "StateChanged",
    "audit_record",
    "percentile",
]
