"""Resilience policies: retry (backoff with full jitter, server hints as a floor)."""

from gemgate.resilience.retry import GiveUp, Retry, RetryPolicy

__all__ = ["GiveUp", "Retry", "RetryPolicy"]
