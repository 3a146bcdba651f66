"""The emulator's pure parts on their own: durations, windows, fault plans, public names."""

from __future__ import annotations

import random

import pytest

import gemgate.emulator
from gemgate.emulator import EmulatorConfig, FaultPlanError, FaultRule, parse_fault_plan
from gemgate.emulator.errors import format_duration
from gemgate.emulator.faults import FaultBook
from gemgate.emulator.quota import FixedWindow, Limits, QuotaBook, SlidingLog


def test_the_public_names_are_pinned() -> None:
    assert gemgate.emulator.__all__ == [
        "EmulatorConfig",
        "EmulatorServer",
        "FaultPlanError",
        "FaultRule",
        "LimitMode",
        "build_app",
        "parse_fault_plan",
    ]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.0, "0s"), (15.0, "15s"), (2.345, "2.345s"), (2.3441, "2.345s"), (0.0001, "0.001s")],
)
def test_durations_round_up_to_the_millisecond(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_a_sliding_log_waits_for_the_oldest_entries_to_leave() -> None:
    log = SlidingLog(10.0)
    for at, tokens in ((0.0, 5), (2.0, 5), (4.0, 5)):
        log.add(at, tokens)
    assert log.request_wait(5.0, limit=3) == 5.0  # t=0 leaves at 10
    assert log.request_wait(5.0, limit=2) == 7.0  # t=0 and t=2 must leave
    assert log.token_wait(5.0, limit=16, tokens=1) == 0.0
    assert log.token_wait(5.0, limit=16, tokens=6) == 5.0  # 5 over: the 5 tokens of t=0 must go
    assert log.token_wait(5.0, limit=16, tokens=7) == 7.0  # 6 over: t=0 and t=2 must go
    assert log.token_wait(5.0, limit=16, tokens=17) is None  # never: above the limit itself
    assert log.usage(10.0) == (2, 10)


def test_a_fixed_window_waits_for_the_next_boundary() -> None:
    window = FixedWindow(10.0)
    window.add(3.0, 1)
    assert window.request_wait(4.0, limit=1) == 6.0
    assert window.token_wait(4.0, limit=2, tokens=2) == 6.0
    assert window.request_wait(10.0, limit=1) == 0.0


def test_a_refused_request_is_not_counted() -> None:
    book = QuotaBook(Limits(rpm=1, tpm=None, window_s=1.0))
    assert book.admit(("k", "m"), 0.0, 3).admitted
    refused = book.admit(("k", "m"), 0.5, 3)
    assert (refused.admitted, refused.requests_exceeded, refused.retry_after) == (False, True, 0.5)
    assert book.admit(("k", "m"), 1.0, 3).admitted


def test_both_limits_report_the_longer_wait() -> None:
    book = QuotaBook(Limits(rpm=2, tpm=10, window_s=1.0))
    assert book.admit(("k", "m"), 0.0, 8).admitted
    assert book.admit(("k", "m"), 0.5, 1).admitted
    verdict = book.admit(("k", "m"), 0.75, 5)
    assert (verdict.requests_exceeded, verdict.tokens_exceeded) == (True, True)
    assert verdict.retry_after == 0.25


def test_a_plan_is_parsed_from_json_shapes() -> None:
    rules = parse_fault_plan(
        {"rules": [{"action": "status", "status": 503, "region": "us-*", "count": 3}]}
    )
    assert rules == (FaultRule("status", status=503, region="us-*", count=3),)
    assert parse_fault_plan([{"action": "hang"}]) == (FaultRule("hang"),)


@pytest.mark.parametrize(
    ("plan", "words"),
    [
        ({"rules": [{"action": "explode"}]}, "unknown action"),
        ({"rules": [{"action": "status", "status": 418}]}, "status must be one of"),
        ({"rules": [{"action": "finish", "reason": "BORED"}]}, "finish reason"),
        ({"rules": [{"action": "block", "reason": "MAX_TOKENS"}]}, "block reason"),
        ({"rules": [{"action": "status", "count": 0}]}, "count must be"),
        ({"rules": [{"action": "latency", "probability": 2}]}, "probability"),
        ({"rules": [{"status": 503}]}, "'action' is required"),
        ({"rules": [{"action": "drop", "colour": "red"}]}, "unknown key(s) ['colour']"),
        ({"rules": "all"}, "must be a list"),
        ({"plan": []}, "unexpected ['plan']"),
    ],
)
def test_a_bad_plan_says_which_rule_and_why(plan: object, words: str) -> None:
    with pytest.raises(FaultPlanError) as info:
        parse_fault_plan(plan)
    assert words in str(info.value)


def test_the_first_live_matching_rule_wins_and_counts_are_spent() -> None:
    book = FaultBook(
        [
            FaultRule("latency", ms=100, method="countTokens"),
            FaultRule("status", status=500, region="europe-*", count=1),
            FaultRule("drop", count=2),
        ],
        random.Random(0),
    )
    first = book.select("europe-west4", "m", "countTokens")
    assert (first.latency_s, first.fault) == (
        0.1,
        FaultRule("status", status=500, region="europe-*", count=1),
    )
    actions = [book.select("europe-west4", "m", "generateContent").fault for _ in range(3)]
    assert [a.action if a else None for a in actions] == ["drop", "drop", None]


def test_the_config_validates_and_hides_keys() -> None:
    with pytest.raises(ValueError, match="window_s"):
        EmulatorConfig(window_s=0)
    with pytest.raises(ValueError, match="limit_mode"):
        EmulatorConfig(limit_mode="leaky")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="rpm"):
        EmulatorConfig(rpm=0)
    assert "sk-123" not in repr(EmulatorConfig(api_keys=("sk-123",), bad_keys=("sk-123",)))
