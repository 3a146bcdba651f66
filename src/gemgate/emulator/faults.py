"""Fault plans: rules that make chosen requests fail, per region, model and method.

A plan is JSON ``{"rules": [{"action": ..., ...}, ...]}``. For each request the rules are tried
in order; a rule is *live* while its ``count`` is not spent, and it fires when it matches the
request's region, model and method (``*`` and shell globs allowed) and, if it has a
``probability``, a draw from the seeded RNG succeeds. ``latency`` rules add their delay and the
search goes on; the first other rule that fires is the request's fault, and the search stops.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from email.utils import parsedate_to_datetime
from fnmatch import fnmatchcase
from typing import Any, Literal, cast, get_args

__all__ = [
    "FaultAction",
    "FaultBook",
    "FaultPlanError",
    "FaultRule",
    "Selection",
    "parse_fault_plan",
]

FaultAction = Literal[
    "status", "latency", "hang", "drop", "truncate", "html", "block", "finish", "stream_error"
]

ERROR_STATUSES = frozenset({400, 401, 403, 404, 429, 500, 502, 503, 504})
BLOCK_REASONS = frozenset({"SAFETY", "OTHER", "BLOCKLIST", "PROHIBITED_CONTENT", "IMAGE_SAFETY"})
FINISH_REASONS = frozenset(
    {
        "STOP", "MAX_TOKENS", "SAFETY", "RECITATION", "LANGUAGE", "OTHER", "BLOCKLIST",
        "PROHIBITED_CONTENT", "SPII", "MALFORMED_FUNCTION_CALL", "IMAGE_SAFETY",
    }
)  # fmt: skip
GENERATE_METHODS = frozenset({"generateContent", "streamGenerateContent"})
_DEFAULT_STATUS = {"status": 503, "html": 502, "stream_error": 500}
_DEFAULT_REASON = {"block": "PROHIBITED_CONTENT", "finish": "MAX_TOKENS"}


class FaultPlanError(ValueError):
    """A fault plan that cannot be used; the message names the rule and the key."""


@dataclass(frozen=True, slots=True)
class FaultRule:
    """One rule of a fault plan; field names are the JSON keys.

    >>> FaultRule("status", status=503, region="us-central1", count=3).matches(
    ...     "us-central1", "gemini-2.5-flash", "generateContent")
    True
    """

    action: FaultAction
    region: str = "*"
    model: str = "*"
    method: str = "*"
    count: int | None = None
    probability: float | None = None
    status: int | None = None
    ms: float = 0.0
    reason: str | None = None
    after_chunks: int = 1
    retry_delay_s: float | None = None
    quota: Literal["minute", "day"] = "minute"
    retry_after: str | None = None
    """A ``Retry-After`` header on a ``status`` or ``html`` answer, as a proxy in front of the
    service may send: seconds (``"120"``) or an HTTP date. Google itself never sends one."""

    def __post_init__(self) -> None:
        _validate(self)

    @property
    def effective_status(self) -> int:
        """The HTTP status this rule answers with (its own, or the action's default)."""
        return self.status if self.status is not None else _DEFAULT_STATUS.get(self.action, 500)

    @property
    def effective_reason(self) -> str:
        """The block or finish reason (its own, or the action's default)."""
        return self.reason if self.reason is not None else _DEFAULT_REASON.get(self.action, "")

    def matches(self, region: str, model: str, method: str) -> bool:
        """Whether the rule is aimed at this request (ignoring count and probability)."""
        return (
            fnmatchcase(region, self.region)
            and fnmatchcase(model, self.model)
            and fnmatchcase(method, self.method)
            and _applies_to(self.action, method)
        )


def _applies_to(action: str, method: str) -> bool:
    if action in ("block", "finish"):
        return method in GENERATE_METHODS
    if action == "stream_error":
        return method == "streamGenerateContent"
    return True


def _validate(rule: FaultRule) -> None:
    if rule.action not in get_args(FaultAction):
        raise ValueError(f"unknown action {rule.action!r}")
    for name in ("region", "model", "method"):
        if not isinstance(getattr(rule, name), str):
            raise ValueError(f"{name} must be a string, not {getattr(rule, name)!r}")
    _check_number("count", rule.count, integer=True, minimum=1)
    _check_number("after_chunks", rule.after_chunks, integer=True, minimum=0)
    _check_number("status", rule.status, integer=True, minimum=100)
    _check_number("ms", rule.ms, minimum=0)
    _check_number("retry_delay_s", rule.retry_delay_s, minimum=0)
    _check_number("probability", rule.probability, minimum=0)
    if rule.probability is not None and rule.probability > 1:
        raise ValueError(f"probability must be within [0, 1], not {rule.probability!r}")
    if rule.quota not in ("minute", "day"):
        raise ValueError(f"quota must be 'minute' or 'day', not {rule.quota!r}")
    _validate_status(rule)
    _validate_reason(rule)
    _validate_retry_after(rule)


def _check_number(name: str, value: object, *, minimum: float, integer: bool = False) -> None:
    if value is None:
        return
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or value < minimum:
        kind = "an integer" if integer else "a number"
        raise ValueError(f"{name} must be {kind} >= {minimum:g}, not {value!r}")


def _validate_status(rule: FaultRule) -> None:
    status = rule.effective_status
    if rule.action in ("status", "stream_error") and status not in ERROR_STATUSES:
        raise ValueError(f"status must be one of {sorted(ERROR_STATUSES)}, not {status!r}")
    if rule.action == "html" and not 400 <= status <= 599:
        raise ValueError(f"an html page needs a 4xx or 5xx status, not {status!r}")


def _validate_retry_after(rule: FaultRule) -> None:
    value = rule.retry_after
    if value is None:
        return
    if rule.action not in ("status", "html"):
        raise ValueError("retry_after goes with a status or html answer")
    if not isinstance(value, str) or not (value.isdigit() or _http_date(value)):
        raise ValueError(f"retry_after must be whole seconds or an HTTP date, not {value!r}")


def _http_date(value: str) -> bool:
    try:
        return parsedate_to_datetime(value) is not None
    except (TypeError, ValueError):
        return False


def _validate_reason(rule: FaultRule) -> None:
    reason = rule.effective_reason
    if rule.action == "block" and reason not in BLOCK_REASONS:
        raise ValueError(f"block reason must be one of {sorted(BLOCK_REASONS)}, not {reason!r}")
    if rule.action == "finish" and reason not in FINISH_REASONS:
        raise ValueError(f"finish reason must be one of {sorted(FINISH_REASONS)}, not {reason!r}")


_RULE_KEYS = frozenset(f.name for f in fields(FaultRule))


def parse_fault_plan(plan: object) -> tuple[FaultRule, ...]:
    """Rules from a plan: ``{"rules": [...]}``, a bare list of rule mappings, or FaultRules."""
    if isinstance(plan, Mapping):
        extra = set(plan) - {"rules"}
        if extra:
            raise FaultPlanError(f"a fault plan has only a 'rules' key; unexpected {sorted(extra)}")
        plan = plan.get("rules", [])
    if not isinstance(plan, Sequence) or isinstance(plan, str | bytes):
        raise FaultPlanError("a fault plan's 'rules' must be a list")
    return tuple(_parse_rule(index, item) for index, item in enumerate(plan))


def _parse_rule(index: int, item: object) -> FaultRule:
    if isinstance(item, FaultRule):
        return item
    if not isinstance(item, Mapping):
        raise FaultPlanError(f"rule {index}: must be an object, not {type(item).__name__}")
    unknown = set(item) - _RULE_KEYS
    if unknown:
        raise FaultPlanError(f"rule {index}: unknown key(s) {sorted(unknown)}")
    if "action" not in item:
        raise FaultPlanError(f"rule {index}: 'action' is required")
    try:
        return FaultRule(**cast(dict[str, Any], dict(item)))
    except (TypeError, ValueError) as exc:
        raise FaultPlanError(f"rule {index}: {exc}") from exc


@dataclass(frozen=True, slots=True)
class Selection:
    """What the plan does to one request: extra latency, then at most one fault."""

    latency_s: float = 0.0
    fault: FaultRule | None = None
    fired: tuple[FaultRule, ...] = field(default=())


class FaultBook:
    """The live plan: rules plus how many uses each counted rule has left."""

    def __init__(self, rules: Sequence[FaultRule], rng: random.Random) -> None:
        self._rng = rng
        self._rules: tuple[FaultRule, ...] = ()
        self._left: list[int | None] = []
        self.replace(rules)

    @property
    def rules(self) -> tuple[FaultRule, ...]:
        return self._rules

    def replace(self, rules: Sequence[FaultRule]) -> None:
        """Install a new plan; every count starts afresh."""
        self._rules = tuple(rules)
        self._left = [rule.count for rule in self._rules]

    def select(self, region: str, model: str, method: str) -> Selection:
        """Choose (and spend) the rules that fire for this request."""
        latency, fired = 0.0, []
        for index, rule in enumerate(self._rules):
            if not self._fires(index, rule, region, model, method):
                continue
            fired.append(rule)
            if rule.action != "latency":
                return Selection(latency, rule, tuple(fired))
            latency += rule.ms / 1000.0
        return Selection(latency, None, tuple(fired))

    def _fires(self, index: int, rule: FaultRule, region: str, model: str, method: str) -> bool:
        left = self._left[index]
        if left == 0 or not rule.matches(region, model, method):
            return False
        if rule.probability is not None and self._rng.random() >= rule.probability:
            return False
        if left is not None:
            self._left[index] = left - 1
        return True
