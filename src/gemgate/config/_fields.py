"""Every setting of ``gemgate.toml``: its dotted key, its environment variable, its check.

``FIELDS`` is the single list ``load_settings`` reads; docs/configuration.md documents it.
A field's ``check`` validates a TOML-typed value; ``from_env`` first turns the variable's text
into that type (raising ``ValueError`` with a reason).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple
from urllib.parse import urlsplit

from gemgate.config._values import (
    Check,
    env_bool,
    env_float,
    env_int,
    env_list,
    env_str,
    expect_bool,
    expect_float,
    expect_int,
    expect_str,
    expect_str_list,
)
from gemgate.config.limits import LimitRule, parse_limit
from gemgate.config.settings import API_VERSIONS
from gemgate.errors import ConfigError

__all__ = ["FIELDS", "SECTIONS", "VERTEX_FALLBACKS", "Field"]

SECTIONS = ("endpoint", "retry", "breaker", "throttle", "transport", "limits")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_REGION = re.compile(r"^[a-z][a-z0-9-]*[a-z0-9]$")


def _int(minimum: int) -> Check:
    return lambda value, source, key: expect_int(value, source, key, minimum=minimum)


def _float(minimum: float = 0.0, *, strict: bool = True) -> Check:
    return lambda value, source, key: expect_float(
        value, source, key, minimum=minimum, strict=strict
    )


def _word(value: object, source: str, key: str) -> str:
    text = expect_str(value, source, key)
    if any(char.isspace() for char in text):
        raise ConfigError(source, key, f"must not contain spaces, got {text!r}")
    return text


def _kind(value: object, source: str, key: str) -> str:
    text = expect_str(value, source, key)
    if text not in API_VERSIONS:
        raise ConfigError(source, key, f"expected 'developer' or 'vertex', got {text!r}")
    return text


def _url(value: object, source: str, key: str) -> str:
    """An http(s) base URL; the value is never quoted back, as it might carry a credential."""
    try:
        parts = urlsplit(expect_str(value, source, key))
        parts.port  # noqa: B018 - parsing the port is the check
    except ValueError:
        parts = urlsplit("")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(source, key, "expected an http:// or https:// URL with a host")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ConfigError(source, key, "must not carry credentials, a query or a fragment")
    return parts.geturl().rstrip("/")


def _redis_url(value: object, source: str, key: str) -> str:
    """A redis:// (or rediss://, unix://) URL; never quoted back: it may carry a password."""
    text = expect_str(value, source, key)
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - parsing the port is the check
    except ValueError:
        raise ConfigError(source, key, "not a valid Redis URL") from None
    if parts.scheme not in ("redis", "rediss", "unix"):
        raise ConfigError(source, key, "expected a redis://, rediss:// or unix:// URL")
    return text


def _fail(value: object, source: str, key: str) -> str:
    text = expect_str(value, source, key)
    if text not in ("open", "closed"):
        raise ConfigError(source, key, f"expected 'open' or 'closed', got {text!r}")
    return text


def _share(value: object, source: str, key: str) -> float:
    share = expect_float(value, source, key)
    if share > 1:
        raise ConfigError(source, key, f"a share is at most 1, got {share}")
    return share


def _share_or_none(value: object, source: str, key: str) -> float | None:
    """A share in (0, 1]; 0 means "off"."""
    return _share(value, source, key) or None


def _throttle_k(value: object, source: str, key: str) -> float:
    k = expect_float(value, source, key, strict=False)
    if 0 < k < 1:
        raise ConfigError(source, key, f"k is 0 (off) or at least 1, got {k}")
    return k


def _urls(value: object, source: str, key: str) -> tuple[str, ...]:
    return tuple(_url(item, source, key) for item in expect_str_list(value, source, key))


def _rules(value: object, source: str, key: str) -> tuple[LimitRule, ...]:
    return tuple(parse_limit(text, source, key) for text in expect_str_list(value, source, key))


def _max_waiting(value: object, source: str, key: str) -> int | None:
    """How many requests may wait at once; 0 means no bound."""
    return expect_int(value, source, key, minimum=0) or None


def _overflow(value: object, source: str, key: str) -> str:
    text = expect_str(value, source, key)
    if text not in ("reject", "shed"):
        raise ConfigError(source, key, f"expected 'reject' or 'shed', got {text!r}")
    return text


def _env_rules(text: str) -> object:
    """``requests=50/5s, tokens=20000/5s,burst=2000``: commas part rules, except before an
    option (``burst``, ``allowance``)."""
    return [
        item.strip() for item in re.split(r",(?!\s*(?:burst|allowance)\b)", text) if item.strip()
    ]


def _env_names(value: object, source: str, key: str) -> tuple[str, ...]:
    names = expect_str_list(value, source, key)
    if not all(_ENV_NAME.match(name) for name in names):
        raise ConfigError(source, key, "items must be environment variable names, not keys")
    return names


def _regions(value: object, source: str, key: str) -> tuple[str, ...]:
    regions = expect_str_list(value, source, key)
    for region in regions:
        if not _REGION.match(region):
            raise ConfigError(source, key, f"not a location name: {region!r}")
    return regions


def _timeout_or_none(value: object, source: str, key: str) -> float | None:
    """A timeout where 0 means "none"."""
    return expect_float(value, source, key, strict=False) or None


def _env_timeout(text: str) -> object:
    return 0 if text.lower() == "none" else env_float(text)


class Field(NamedTuple):
    """``path`` is the dotted TOML key; ``env`` the variable that overrides it."""

    path: str
    env: str | None
    check: Check
    from_env: Callable[[str], object] = env_str


FIELDS = (
    Field("default_model", "GEMGATE_MODEL", _word),
    Field("concurrency", "GEMGATE_CONCURRENCY", _int(1), env_int),
    Field("max_waiting", "GEMGATE_MAX_WAITING", _max_waiting, env_int),
    Field("overflow", "GEMGATE_OVERFLOW", _overflow),
    Field("api_key_env", "GEMGATE_API_KEY_ENV", _env_names, env_list),
    Field("api_key_file", "GEMGATE_API_KEY_FILE", expect_str),
    Field("endpoint.kind", "GEMGATE_ENDPOINT", _kind),
    Field("endpoint.base_url", "GEMGATE_BASE_URL", _url),
    Field("endpoint.api_version", "GEMGATE_API_VERSION", _word),
    Field("endpoint.project", "GEMGATE_VERTEX_PROJECT", _word),
    Field("endpoint.regions", "GEMGATE_VERTEX_REGIONS", _regions, env_list),
    Field("endpoint.base_urls", "GEMGATE_BASE_URLS", _urls, env_list),
    Field("retry.max_attempts", "GEMGATE_MAX_ATTEMPTS", _int(1), env_int),
    Field("retry.base_delay_s", "GEMGATE_BASE_DELAY_S", _float(strict=False), env_float),
    Field("retry.max_delay_s", "GEMGATE_MAX_DELAY_S", _float(), env_float),
    Field("retry.budget_ratio", "GEMGATE_RETRY_BUDGET_RATIO", _float(strict=False), env_float),
    Field(
        "retry.budget_min_per_s", "GEMGATE_RETRY_BUDGET_MIN_PER_S", _float(strict=False), env_float
    ),
    Field("retry.budget_window_s", "GEMGATE_RETRY_BUDGET_WINDOW_S", _float(), env_float),
    Field("breaker.enabled", "GEMGATE_BREAKER", expect_bool, env_bool),
    Field("breaker.failure_threshold", "GEMGATE_BREAKER_THRESHOLD", _int(1), env_int),
    Field("breaker.open_s", "GEMGATE_BREAKER_OPEN_S", _float(strict=False), env_float),
    Field("breaker.half_open_probes", "GEMGATE_BREAKER_PROBES", _int(1), env_int),
    Field("breaker.probe_lease_s", "GEMGATE_BREAKER_PROBE_LEASE_S", _float(), env_float),
    Field("breaker.failure_rate", "GEMGATE_BREAKER_FAILURE_RATE", _share_or_none, env_float),
    Field("breaker.rate_window_s", "GEMGATE_BREAKER_RATE_WINDOW_S", _float(), env_float),
    Field("breaker.rate_min_calls", "GEMGATE_BREAKER_RATE_MIN_CALLS", _int(1), env_int),
    Field("breaker.shared", "GEMGATE_BREAKER_SHARED", expect_bool, env_bool),
    Field("throttle.k", "GEMGATE_THROTTLE_K", _throttle_k, env_float),
    Field("throttle.window_s", "GEMGATE_THROTTLE_WINDOW_S", _float(), env_float),
    Field("throttle.min_requests", "GEMGATE_THROTTLE_MIN_REQUESTS", _int(0), env_int),
    Field("transport.pool_size", "GEMGATE_POOL_SIZE", _int(0), env_int),
    Field("transport.pool_size_per_host", "GEMGATE_POOL_SIZE_PER_HOST", _int(0), env_int),
    Field("transport.keepalive_s", "GEMGATE_KEEPALIVE_S", _float(strict=False), env_float),
    Field("transport.dns_cache_ttl_s", "GEMGATE_DNS_CACHE_TTL_S", _int(0), env_int),
    Field("transport.connect_timeout_s", "GEMGATE_CONNECT_TIMEOUT_S", _float(), env_float),
    Field("transport.read_timeout_s", "GEMGATE_READ_TIMEOUT_S", _float(), env_float),
    Field("transport.total_timeout_s", "GEMGATE_TOTAL_TIMEOUT_S", _timeout_or_none, _env_timeout),
    Field("limits.rules", "GEMGATE_LIMITS", _rules, _env_rules),
    Field("limits.redis_url", "GEMGATE_REDIS_URL", _redis_url),
    Field("limits.fail", "GEMGATE_LIMITS_FAIL", _fail),
    Field("limits.local_share", "GEMGATE_LIMITS_LOCAL_SHARE", _share, env_float),
    Field("limits.count_tokens", "GEMGATE_COUNT_TOKENS", expect_bool, env_bool),
)
# Lowest-priority fallbacks shared with Google's SDKs, used for a Vertex endpoint only.
VERTEX_FALLBACKS = {
    "endpoint.project": "GOOGLE_CLOUD_PROJECT",
    "endpoint.regions": "GOOGLE_CLOUD_LOCATION",
}
