"""Rate limits as users state them: ``requests=50/5s``, ``tokens=20000/60s,burst=2000``.

A :class:`LimitRule` is one dimension's limit: ``amount`` units in any window of ``window_s``
seconds, with an optional ``burst`` (see docs/rate-limits.md for the default and what it costs).
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
    r"(?P<unit>ms|s|min|m|h)\s*(?:,\s*burst\s*=\s*(?P<burst>\d+)\s*)?$"
)


@dataclass(frozen=True, slots=True)
class LimitRule:
    """``amount`` of ``name`` (requests or tokens) in any window of ``window_s`` seconds."""

    name: str
    amount: int
    window_s: float
    burst: int | None = None

    @property
    def daily(self) -> bool:
        return self.name == DAILY

    def __str__(self) -> str:
        if self.daily:
            return f"{self.name}={self.amount}"
        burst = f",burst={self.burst}" if self.burst is not None else ""
        return f"{self.name}={self.amount}/{self.window_s:g}s{burst}"


def parse_limit(text: str, source: str, key: str) -> LimitRule:
    """``"requests=50/5s"`` (also ``/1m``, ``/500ms``, ``,burst=10``; ``requests_per_day=N``)."""
    daily = re.match(rf"^\s*{DAILY}\s*=\s*(\d+)\s*$", text)
    if daily:
        return _checked(LimitRule(DAILY, int(daily.group(1)), 86_400.0), source, key)
    match = _RULE.match(text)
    if match is None:
        raise ConfigError(
            source,
            key,
            f"expected NAME=AMOUNT/WINDOW such as 'requests=50/5s' "
            f"or 'tokens=20000/1m,burst=2000', got {text!r}",
        )
    window = float(match.group("window") or 1) * _UNITS[match.group("unit")]
    burst = match.group("burst")
    rule = LimitRule(
        match.group("name"),
        int(match.group("amount")),
        window,
        int(burst) if burst is not None else None,
    )
    return _checked(rule, source, key)


def _checked(rule: LimitRule, source: str, key: str) -> LimitRule:
    if rule.name not in DIMENSIONS:
        raise ConfigError(
            source, key, f"unknown limit {rule.name!r}; one of {', '.join(DIMENSIONS)}"
        )
    if rule.amount < 1 or rule.window_s <= 0:
        raise ConfigError(source, key, "a limit needs a positive amount and window")
    if rule.burst is not None and rule.burst < 1:
        raise ConfigError(source, key, "burst must be at least 1")
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
