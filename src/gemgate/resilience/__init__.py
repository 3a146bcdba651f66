"""Resilience policies: retry (backoff with full jitter, server hints as a floor), a retry
budget, circuit breakers (in process or shared in Redis), adaptive throttling, and the router
that fails over between endpoints."""

from gemgate.resilience.breaker import (
    BreakerPolicy,
    CircuitBreaker,
    CircuitState,
    Permit,
    Transition,
)
from gemgate.resilience.budget import RetryBudget
from gemgate.resilience.failover import FAILOVER_ON, Route, Router
from gemgate.resilience.retry import GiveUp, Retry, RetryPolicy
from gemgate.resilience.shared import (
    Breakers,
    MemoryBreakers,
    NoBreakers,
    Outcome,
    RedisBreakers,
)
from gemgate.resilience.throttle import AdaptiveThrottle
from gemgate.resilience.window import WindowCounts

__all__ = [
    "FAILOVER_ON",
    "AdaptiveThrottle",
    "BreakerPolicy",
    "Breakers",
    "CircuitBreaker",
    "CircuitState",
    "GiveUp",
    "MemoryBreakers",
    "NoBreakers",
    "Outcome",
    "Permit",
    "RedisBreakers",
    "Retry",
    "RetryBudget",
    "RetryPolicy",
    "Route",
    "Router",
    "Transition",
    "WindowCounts",
]
