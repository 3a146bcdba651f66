"""The resilience settings: retry budget, breakers, adaptive throttling, several base URLs."""

from __future__ import annotations

from pathlib import Path

import pytest

from gemgate.config import (
    BreakerSettings,
    RetrySettings,
    Settings,
    ThrottleSettings,
    load_settings,
)
from gemgate.errors import ConfigError

FILE = """
[retry]
budget_ratio = 0.2
budget_min_per_s = 0.5
budget_window_s = 30

[breaker]
failure_threshold = 3
open_s = 30
half_open_probes = 2
probe_lease_s = 15
failure_rate = 0.5
rate_window_s = 120
rate_min_calls = 50

[throttle]
k = 1.5
window_s = 60
min_requests = 10

[endpoint]
base_urls = ["https://gemini-proxy-a.internal", "https://gemini-proxy-b.internal:8443"]
"""


def load(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> Settings:
    path = tmp_path / "gemgate.toml"
    path.write_text(text, encoding="utf-8")
    return load_settings(path, env=env or {})


def error_of(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text, env)
    return caught.value


def test_the_defaults_are_the_seeds() -> None:
    s = load_settings(None, env={})
    assert s.breaker == BreakerSettings()
    assert (s.breaker.failure_threshold, s.breaker.open_s, s.breaker.half_open_probes) == (5, 60, 1)
    assert (s.retry.budget_ratio, s.retry.budget_min_per_s) == (0.1, 1.0)
    assert s.throttle == ThrottleSettings(k=2.0, window_s=120.0, min_requests=20)
    assert s.endpoint.base_urls == ()


def test_every_resilience_setting_is_read_from_the_file(tmp_path: Path) -> None:
    s = load(tmp_path, FILE)
    assert s.retry == RetrySettings(budget_ratio=0.2, budget_min_per_s=0.5, budget_window_s=30)
    assert s.breaker == BreakerSettings(
        failure_threshold=3,
        open_s=30,
        half_open_probes=2,
        probe_lease_s=15,
        failure_rate=0.5,
        rate_window_s=120,
        rate_min_calls=50,
    )
    assert s.throttle == ThrottleSettings(k=1.5, window_s=60, min_requests=10)
    assert s.endpoint.base_urls == (
        "https://gemini-proxy-a.internal",
        "https://gemini-proxy-b.internal:8443",
    )


def test_the_environment_overrides_them(tmp_path: Path) -> None:
    env = {
        "GEMGATE_BREAKER_THRESHOLD": "7",
        "GEMGATE_BREAKER_OPEN_S": "5",
        "GEMGATE_BREAKER": "false",
        "GEMGATE_THROTTLE_K": "0",
        "GEMGATE_RETRY_BUDGET_RATIO": "0.05",
        "GEMGATE_BASE_URLS": "http://127.0.0.1:1,http://127.0.0.1:2",
    }
    s = load(tmp_path, FILE, env)
    assert (s.breaker.failure_threshold, s.breaker.open_s, s.breaker.enabled) == (7, 5, False)
    assert s.throttle.k == 0
    assert s.retry.budget_ratio == 0.05
    assert s.endpoint.base_urls == ("http://127.0.0.1:1", "http://127.0.0.1:2")


@pytest.mark.parametrize(
    ("text", "key", "reason"),
    [
        (
            "[breaker]\nfailure_threshold = 0\n",
            "breaker.failure_threshold",
            "must be positive, got 0",
        ),
        ("[throttle]\nk = 0.5\n", "throttle.k", "k is 0 (off) or at least 1, got 0.5"),
        ("[breaker]\nshared = true\n", "breaker.shared", "needs limits.redis_url"),
        (
            '[breaker]\nshared = true\nfailure_rate = 0.5\n[limits]\nredis_url = "redis://h"\n',
            "breaker.failure_rate",
            "is counted per process",
        ),
        (
            '[endpoint]\nkind = "vertex"\nbase_urls = ["https://a"]\n',
            "endpoint.base_urls",
            "is for the Developer API",
        ),
        ('[endpoint]\nbase_urls = ["ftp://a"]\n', "endpoint.base_urls", "http"),
    ],
)
def test_a_setting_that_cannot_work_names_the_key_and_why(
    tmp_path: Path, text: str, key: str, reason: str
) -> None:
    error = error_of(tmp_path, text)
    assert error.source == str(tmp_path / "gemgate.toml")
    assert error.key == key
    assert reason in error.reason_text
