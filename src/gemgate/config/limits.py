"""Rate limits as users state them: ``requests=50/5s``, ``tokens=20000/60s,burst=2000``.

A :class:`LimitRule` is one dimension's limit: ``amount`` units in any window of ``window_s``
seconds, with an optional ``burst`` and ``allowance`` (how much later than we decide a request
may reach the provider's window; see docs/rate-limits.md for the defaults and what they cost).
The shorthands ``rpm``, ``tpm`` and ``rpd`` are ``requests``/60 s, ``tokens``/60 s and
``requests_per_day`` (a day that resets at midnight Pacific time, as Google's does).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gemgate.errors import ConfigError

__all__ = ["DAILY", "DIMENSIONS", "LimitRule", "parse_limit", "shorthand_rules"]

DAILY = "requests_per_day"
DIMENSIONS = ("requests", "tokens", DAILY)
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}
_RULE = re.compile(
    r"^\s*(?P<name>[a-z_]+)\s*=\s*(?P<amount>\d+)\s*/\s*(?P<window>\d+(?:\.\d+)?)?\s*"
    r"(?P<unit>ms|s|min|m|h)\s*(?P<options>(?:,[^,]*)*)$"
)
_OPTION = re.compile(r"^\s*(?P<name>[a-z_]+)\s*=\s*(?P<value>.*?)\s*$")
_DURATION = re.compile(r"^(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>ms|s)$")


@dataclass(frozen=True, slots=True)
class LimitRule:
    """``amount`` of ``name`` (requests or tokens) in any window of ``window_s`` seconds."""

    name: str
    amount: int
    window_s: float
    burst: int | None = None
    allowance_s: float | None = None

    @property
    def daily(self) -> bool:
        return self.name == DAILY

    def __str__(self) -> str:
        if self.daily:
            return f"{self.name}={self.amount}"
        burst = f",burst={self.burst}" if self.burst is not None else ""
        allowance = f",allowance={self.allowance_s:g}s" if self.allowance_s is not None else ""
        return f"{self.name}={self.amount}/{self.window_s:g}s{burst}{allowance}"


def parse_limit(text: str, source: str, key: str) -> LimitRule:
    """``"requests=50/5s"`` (also ``/1m``, ``/500ms``, ``,burst=10``, ``,allowance=20ms``;
    ``requests_per_day=N``)."""
    daily = re.match(rf"^\s*{DAILY}\s*=\s*(\d+)\s*$", text)
    if daily:
        return _checked(LimitRule(DAILY, int(daily.group(1)), 86_400.0), source, key)
    match = _RULE.match(text)
    if match is None:
        raise ConfigError(
            source,
            key,
            f"expected NAME=AMOUNT/WINDOW such as 'requests=50/5s', "
            f"'tokens=20000/1m,burst=2000' or 'requests=10/1s,allowance=20ms', got {text!r}",
        )
    window = float(match.group("window") or 1) * _UNITS[match.group("unit")]
    burst, allowance = _options(match.group("options"), source, key)
    rule = LimitRule(match.group("name"), int(match.group("amount")), window, burst, allowance)
    return _checked(rule, source, key)


def _options(text: str, source: str, key: str) -> tuple[int | None, float | None]:
    """``,burst=N`` and ``,allowance=20ms`` (or ``0.02s``), each at most once, in any order."""
    found: dict[str, str] = {}
    for part in text.split(",")[1:]:
        option = _OPTION.match(part)
        if option is None or option["name"] not in ("burst", "allowance"):
            raise ConfigError(
                source, key, f"unknown option {part.strip()!r}; burst=N or allowance=DURATION"
            )
        if option["name"] in found:
            raise ConfigError(source, key, f"{option['name']} is given twice")
        found[option["name"]] = option["value"]
    burst = found.get("burst")
    if burst is not None and not burst.isdigit():
        raise ConfigError(source, key, f"burst must be a whole number, got {burst!r}")
    allowance = found.get("allowance")
    duration = None if allowance is None else _DURATION.match(allowance)
    if allowance is not None and duration is None:
        raise ConfigError(
            source, key, f"allowance must be a duration such as 20ms or 0.1s, got {allowance!r}"
        )
    return (
        None if burst is None else int(burst),
        None if duration is None else float(duration["n"]) * _UNITS[duration["unit"]],
    )


def _checked(rule: LimitRule, source: str, key: str) -> LimitRule:
    if rule.name not in DIMENSIONS:
        raise ConfigError(
            source, key, f"unknown limit {rule.name!r}; one of {', '.join(DIMENSIONS)}"
        )
    if rule.amount < 1 or rule.window_s <= 0:
        raise ConfigError(source, key, f"a limit needs a positive amount and window, not {rule}")
    if rule.burst is not None and rule.burst < 1:
        raise ConfigError(source, key, "burst must be at least 1")
    if rule.allowance_s is not None and rule.allowance_s > rule.window_s:
        raise ConfigError(source, key, "an allowance longer than the window halves the rate")
    return rule


def shorthand_rules(rpm: int | None, tpm: int | None, rpd: int | None) -> tuple[LimitRule, ...]:
    """The rules that ``rpm``, ``tpm`` and ``rpd`` stand for (``None`` or 0: not limited)."""
    rules = []
    if rpm:
        rules.append(LimitRule("requests", rpm, 60.0))
    if tpm:
        rules.append(LimitRule("tokens", tpm, 60.0))
    if rpd:
        rules.append(LimitRule(DAILY, rpd, 86_400.0))
    return tuple(rules)
