"""From settings to the client's parts: endpoints, the rate limiter, breakers and the router.

Only the client reads settings (STYLE.md); the components below take explicit arguments.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from urllib.parse import urlsplit

from gemgate.clock import Clock
from gemgate.config import Settings
from gemgate.errors import ConfigError
from gemgate.observability import CircuitChanged, EventBus
from gemgate.ratelimit import LimitStore, MemoryStore, RateLimiter
from gemgate.resilience import (
    AdaptiveThrottle,
    BreakerPolicy,
    Breakers,
    MemoryBreakers,
    NoBreakers,
    RetryBudget,
    Router,
    Transition,
)
from gemgate.transport import Auth
from gemgate.wire import Endpoint

__all__ = ["budget_for", "endpoints_of", "limiter_for", "router_for", "scope_of"]


def _checked(url: str | None) -> str | None:
    parts = urlsplit(url) if url else None
    if parts is None:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError("GeminiAPIClient", "base_url", "must be an http:// or https:// URL")
    if parts.username or parts.password or parts.query:
        raise ConfigError("GeminiAPIClient", "base_url", "must not carry credentials or a query")
    return url


def endpoints_of(settings: Settings, base_url: str | None = None) -> list[Endpoint]:
    """The ordered endpoints the settings describe: one per Vertex region, or one per
    Developer API base URL (named by its host, port and path: its breaker, throttle and pin
    name). Two endpoints of one name are a ConfigError."""
    e = settings.endpoint
    url = _checked(base_url) or e.base_url
    if e.kind == "vertex":
        found = [Endpoint("vertex", e.api_version, url, e.project, r) for r in e.regions]
    elif e.base_urls and base_url is None:
        labels = [_label(u) for u in e.base_urls]
        if len(set(labels)) < len(labels):  # e.g. http://a and https://a: keep the scheme
            labels = [_label(u, scheme=True) for u in e.base_urls]
        found = [
            Endpoint("developer", e.api_version, u, label=label)
            for u, label in zip(e.base_urls, labels, strict=True)
        ]
    else:
        found = [Endpoint("developer", e.api_version, url)]
    names = [endpoint.name for endpoint in found]
    for name in names:
        if names.count(name) > 1:
            key = "endpoint.regions" if e.kind == "vertex" else "endpoint.base_urls"
            raise ConfigError(settings.source or "settings", key, f"{name!r} is listed twice")
    return found


def _label(url: str, *, scheme: bool = False) -> str:
    parts = urlsplit(url)
    name = parts.netloc.lower() + parts.path.rstrip("/")
    return f"{parts.scheme}://{name}" if scheme else name


def limiter_for(settings: Settings, clock: Clock) -> RateLimiter:
    """The rate limiter the settings describe: each model's rules, with ``[limits] rules``
    over them per name, in Redis when a URL is set, else in process."""
    overrides = {rule.name: rule for rule in settings.limits.rules}
    rules = {
        name: tuple(
            {**{r.name: r for r in settings.catalog.get(name).limit_rules()}, **overrides}.values()
        )
        for name in settings.catalog.names()
    }
    url = settings.limits.redis_url
    store: LimitStore = MemoryStore(clock)
    if url:
        from gemgate.ratelimit.store.redis import RedisStore  # only when Redis is configured

        share = None if settings.limits.fail == "closed" else settings.limits.local_share
        store = RedisStore(url, fail_open_share=share, clock=clock)
    return RateLimiter(rules, store, clock, default_rules=tuple(overrides.values()))


def scope_of(settings: Settings, auth: Auth | None) -> str:
    """Limits are per project (Vertex) or per key (Developer API), and per model."""
    if settings.endpoint.kind == "vertex" and settings.endpoint.project:
        return f"p:{settings.endpoint.project}"
    return f"k:{auth.secret.fingerprint}" if auth is not None else "k:-"


def _breakers(
    settings: Settings, clock: Clock, scope: str, emit: Callable[[Transition], None]
) -> Breakers:
    b, t = settings.breaker, settings.transport
    if not b.enabled:
        return NoBreakers()
    lease = b.probe_lease_s or t.connect_timeout_s + t.read_timeout_s
    policy = BreakerPolicy(
        failure_threshold=b.failure_threshold,
        open_s=b.open_s,
        half_open_probes=b.half_open_probes,
        probe_lease_s=min(lease, t.total_timeout_s or lease),
        failure_rate=b.failure_rate,
        rate_window_s=b.rate_window_s,
        rate_min_calls=b.rate_min_calls,
    )
    url = settings.limits.redis_url
    if b.shared and url:
        from gemgate.resilience.shared import RedisBreakers

        return RedisBreakers(url, policy, clock, emit, prefix=f"gemgate:{scope}")
    return MemoryBreakers(policy, clock, emit)


def router_for(
    settings: Settings, endpoints: list[Endpoint], clock: Clock, bus: EventBus, scope: str
) -> Router:
    """The router over ``endpoints`` with the settings' breakers and adaptive throttling."""
    t = settings.throttle

    def throttle() -> AdaptiveThrottle:
        return AdaptiveThrottle(
            clock, k=t.k, window_s=t.window_s, min_requests=t.min_requests, rng=random.Random()
        )

    router: Router | None = None

    def emit(change: Transition) -> None:  # every transition is an event (on the bus)
        endpoint, model = router.parts(change.key) if router else (change.key, "")
        bus.emit(
            CircuitChanged(endpoint, model, change.old, change.new, change.at, change.retry_at)
        )

    breakers = _breakers(settings, clock, scope, emit)
    router = Router(endpoints, breakers, throttle if t.k else None, clock)
    return router


def budget_for(settings: Settings, clock: Clock) -> RetryBudget | None:
    r = settings.retry
    if r.max_attempts <= 1:
        return None
    return RetryBudget(
        clock, ratio=r.budget_ratio, min_per_s=r.budget_min_per_s, window_s=r.budget_window_s
    )
