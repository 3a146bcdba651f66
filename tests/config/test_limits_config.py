"""Rate limits in gemgate.toml and the environment: shorthands, the general form, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from gemgate.config import LimitRule, load_settings, parse_limit
from gemgate.errors import ConfigError
from gemgate.ratelimit import RateLimiter
from gemgate.ratelimit.bucket import BucketSpec


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("requests=50/5s", LimitRule("requests", 50, 5.0)),
        ("tokens=20000/1m", LimitRule("tokens", 20000, 60.0)),
        ("tokens = 20000 / 5s, burst = 2000", LimitRule("tokens", 20000, 5.0, 2000)),
        ("requests=5/500ms", LimitRule("requests", 5, 0.5)),
        ("requests=100/s", LimitRule("requests", 100, 1.0)),
        ("requests_per_day=1000", LimitRule("requests_per_day", 1000, 86400.0)),
        ("requests=100/1s,allowance=20ms", LimitRule("requests", 100, 1.0, None, 0.02)),
        ("requests=100/1s, allowance = 20ms, burst=5", LimitRule("requests", 100, 1.0, 5, 0.02)),
        (
            "tokens=20000/5s, burst=2000, allowance=0.05s",
            LimitRule("tokens", 20000, 5.0, 2000, 0.05),
        ),
    ],
)
def test_the_general_form_is_read_exactly(text: str, rule: LimitRule) -> None:
    assert parse_limit(text, "f", "k") == rule


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("requests=50", "expected NAME=AMOUNT/WINDOW"),
        ("calls=5/1s", "unknown limit 'calls'"),
        ("requests=0/1s", "positive amount"),
        ("tokens=5/1s,burst=0", "burst must be at least 1"),
        ("requests=10/1s,allowance=2s", "allowance longer than the window"),
        ("requests=10/1s,allowance=20", "allowance must be a duration such as 20ms"),
        ("requests=10/1s,burst=two", "burst must be a whole number, got 'two'"),
        ("requests=10/1s,burst=2,burst=3", "burst is given twice"),
        ("requests=10/1s,jitter=20ms", "unknown option 'jitter=20ms'"),
        ("requests=10/1s,", "unknown option ''"),
    ],
)
def test_a_bad_rule_names_the_source_key_and_reason(text: str, reason: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_limit(text, "gemgate.toml", "limits.rules")
    assert (info.value.source, info.value.key) == ("gemgate.toml", "limits.rules")
    assert reason in str(info.value)


def test_limits_from_the_file_and_per_model(tmp_path: Path) -> None:
    config = tmp_path / "gemgate.toml"
    config.write_text(
        '[limits]\nrules = ["requests=50/5s"]\nredis_url = "redis://:pw@127.0.0.1:6379/0"\n'
        'fail = "closed"\nlocal_share = 0.25\n'
        '[models."gemini-2.5-flash"]\nrpm = 100\nlimits = ["tokens=20000/5s,burst=2000"]\n'
    )
    s = load_settings(config, env={})
    assert s.limits.rules == (LimitRule("requests", 50, 5.0),)
    assert s.limits.redis_url == "redis://:pw@127.0.0.1:6379/0"
    assert (s.limits.fail, s.limits.local_share) == ("closed", 0.25)
    assert "pw" not in repr(s)
    rules = s.catalog.get("gemini-2.5-flash").limit_rules()
    assert LimitRule("requests", 100, 60.0) in rules
    assert LimitRule("tokens", 20000, 5.0, 2000) in rules  # replaces the packaged tpm


def test_the_environment_overrides_the_file(tmp_path: Path) -> None:
    env = {
        "GEMGATE_LIMITS": "requests=10/1s,allowance=20ms, tokens=500/1s,burst=50",
        "GEMGATE_REDIS_URL": "redis://127.0.0.1:6379/1",
        "GEMGATE_COUNT_TOKENS": "true",
    }
    s = load_settings(None, env=env)
    assert s.limits.rules == (
        LimitRule("requests", 10, 1.0, allowance_s=0.02),
        LimitRule("tokens", 500, 1.0, 50),
    )
    assert s.limits.count_tokens is True
    assert s.limits.redis_url == "redis://127.0.0.1:6379/1"


def test_a_bad_redis_url_is_refused_without_quoting_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(None, env={"GEMGATE_REDIS_URL": "http://:secretpw@host"})
    assert info.value.key == "GEMGATE_REDIS_URL"
    assert "secretpw" not in str(info.value)


def test_the_waiting_bound_and_overflow_policy(tmp_path: Path) -> None:
    config = tmp_path / "gemgate.toml"
    config.write_text('max_waiting = 500\noverflow = "shed"\n')
    s = load_settings(config, env={})
    assert (s.max_waiting, s.overflow) == (500, "shed")
    assert load_settings(None, env={"GEMGATE_MAX_WAITING": "0"}).max_waiting is None
    with pytest.raises(ConfigError) as info:
        load_settings(None, env={"GEMGATE_OVERFLOW": "drop"})
    assert info.value.key == "GEMGATE_OVERFLOW"


def test_a_rules_allowance_stretches_its_bucket_and_reads_back_as_written() -> None:
    rule = parse_limit("requests=100/1s,allowance=20ms", "f", "k")
    assert str(rule) == "requests=100/1s,allowance=0.02s"
    assert parse_limit(str(rule), "f", "k") == rule
    limiter = RateLimiter({"m": (rule,)})
    spec = {d.name: d.spec for d in limiter.dimensions("m", 1)}["requests"]
    assert spec == BucketSpec(capacity=2, refill=98, window_us=1_020_000)
