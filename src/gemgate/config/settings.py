"""gemgate's settings as frozen values, validated once by ``load_settings``.

Every field has a default, so ``Settings()`` runs with nothing configured: the Developer API,
``DEFAULT_MODEL``, the key from ``GEMGATE_API_KEY`` / ``GEMINI_API_KEY`` / ``GOOGLE_API_KEY``.
Settings hold the *names* of the key's sources, never the key itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from gemgate.config.catalog import load_catalog
from gemgate.config.limits import LimitRule
from gemgate.config.models import ModelCatalog

__all__ = [
    "API_VERSIONS",
    "DEFAULT_API_KEY_ENV",
    "DEFAULT_MODEL",
    "BreakerSettings",
    "EndpointKind",
    "EndpointSettings",
    "LimitSettings",
    "RetrySettings",
    "Settings",
    "ThrottleSettings",
    "TransportSettings",
]

DEFAULT_MODEL = "gemini-2.5-flash"
DEFAULT_API_KEY_ENV = ("GEMGATE_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY")

EndpointKind = Literal["developer", "vertex"]

# The API versions each endpoint serves; the first is the default.
API_VERSIONS: dict[str, tuple[str, ...]] = {
    "developer": ("v1beta", "v1"),
    "vertex": ("v1", "v1beta1"),
}


@dataclass(frozen=True, slots=True)
class RetrySettings:
    """At most ``max_attempts`` tries; backoff from ``base_delay_s`` up to ``max_delay_s``.

    The retry budget: over the last ``budget_window_s`` seconds, retries may add at most
    ``budget_ratio`` of the requests plus ``budget_min_per_s`` per second (429s that carry the
    server's retry delay are paced by it and not charged).
    """

    max_attempts: int = 5
    base_delay_s: float = 0.1
    max_delay_s: float = 8.0
    budget_ratio: float = 0.1
    budget_min_per_s: float = 1.0
    budget_window_s: float = 10.0


@dataclass(frozen=True, slots=True)
class BreakerSettings:
    """A circuit breaker per (endpoint, model): open after ``failure_threshold`` consecutive
    5xx/timeouts/connection failures (or, with ``failure_rate``, that share of at least
    ``rate_min_calls`` outcomes over ``rate_window_s``), probe after ``open_s`` with at most
    ``half_open_probes`` requests, each holding its place for ``probe_lease_s`` at most
    (``None``: the connect plus read timeout). ``shared`` keeps the state in the limits' Redis.
    """

    enabled: bool = True
    failure_threshold: int = 5
    open_s: float = 60.0
    half_open_probes: int = 1
    probe_lease_s: float | None = None
    failure_rate: float | None = None
    rate_window_s: float = 60.0
    rate_min_calls: int = 20
    shared: bool = False


@dataclass(frozen=True, slots=True)
class ThrottleSettings:
    """Adaptive throttling per endpoint (SRE book): refuse locally with probability
    ``max(0, (requests - k * accepts) / (requests + 1))`` over ``window_s``, once the window
    holds ``min_requests``. ``k = 0`` turns it off."""

    k: float = 2.0
    window_s: float = 120.0
    min_requests: int = 20


@dataclass(frozen=True, slots=True)
class TransportSettings:
    """The HTTP connection pool and timeouts (aiohttp's meaning: a pool size of 0 is unlimited).

    ``total_timeout_s`` of ``None`` bounds an attempt only by the connect and read timeouts.
    """

    pool_size: int = 100
    pool_size_per_host: int = 0
    keepalive_s: float = 30.0
    dns_cache_ttl_s: int = 300
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 120.0
    total_timeout_s: float | None = None


@dataclass(frozen=True, slots=True)
class EndpointSettings:
    """Which Gemini service to call.

    ``developer`` is the Gemini Developer API (``v1beta`` or ``v1``); ``vertex`` is Vertex AI
    (``v1`` or ``v1beta1``), in ``regions`` tried in order (``"global"`` allowed) under
    ``project`` (``None``: express mode with an API key). ``base_url`` of ``None`` means the real
    service's URL. ``base_urls`` (Developer API) lists several base URLs to fail over between,
    in order; it replaces ``base_url``. Built by hand with ``kind="vertex"``, the Developer
    default ``"v1beta"`` becomes Vertex's default ``"v1"``.
    """

    kind: EndpointKind = "developer"
    base_url: str | None = None
    api_version: str = "v1beta"
    project: str | None = None
    regions: tuple[str, ...] = ("us-central1",)
    base_urls: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind == "vertex" and self.api_version == API_VERSIONS["developer"][0]:
            object.__setattr__(self, "api_version", API_VERSIONS["vertex"][0])


@dataclass(frozen=True, slots=True)
class LimitSettings:
    """Client-side rate limits: where their state lives and rules over every model's own.

    ``rules`` apply to every model, each replacing the model's rule of the same name
    (``requests``, ``tokens``, ``requests_per_day``). ``redis_url`` (never shown: it may carry a
    password) shares the state across processes; without it the state is in-process. When Redis
    is unreachable, ``fail = "open"`` decides locally on ``local_share`` of each limit, and
    ``"closed"`` refuses with ``LimiterUnavailable``. ``count_tokens`` asks the API's free
    ``countTokens`` for each prompt's size before reserving, instead of the local estimate.
    """

    rules: tuple[LimitRule, ...] = ()
    redis_url: str | None = field(default=None, repr=False)
    fail: Literal["open", "closed"] = "open"
    local_share: float = 0.5
    count_tokens: bool = False


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything ``GeminiAPIClient`` reads; ``source`` is the config file or ``"<defaults>"``."""

    default_model: str = DEFAULT_MODEL
    concurrency: int = 16
    max_waiting: int | None = None
    overflow: Literal["reject", "shed"] = "reject"
    endpoint: EndpointSettings = field(default_factory=EndpointSettings)
    retry: RetrySettings = field(default_factory=RetrySettings)
    breaker: BreakerSettings = field(default_factory=BreakerSettings)
    throttle: ThrottleSettings = field(default_factory=ThrottleSettings)
    transport: TransportSettings = field(default_factory=TransportSettings)
    limits: LimitSettings = field(default_factory=LimitSettings)
    api_key_env: tuple[str, ...] = DEFAULT_API_KEY_ENV
    api_key_file: Path | None = None
    catalog: ModelCatalog = field(default_factory=load_catalog)
    source: str = "<defaults>"
