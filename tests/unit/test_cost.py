"""Cost math: exact Decimal dollars from usage and the packaged price table."""

from decimal import Decimal

import pytest

from gemgate.config import UnknownModelWarning, load_catalog
from gemgate.cost import CostTracker, cost_of
from gemgate.wire import Usage

CATALOG = load_catalog()


def test_gemini_15_flash_at_the_seed_prices() -> None:
    # $0.075 per 1M input, $0.30 per 1M output, prompts up to 128k tokens
    usage = Usage(prompt=100_000, output=1_000_000, total=1_100_000)
    assert cost_of(CATALOG.get("gemini-1.5-flash"), usage) == Decimal("0.3075")


def test_one_small_request_is_exact_not_rounded() -> None:
    usage = Usage(prompt=9, output=28, total=37)
    cost = cost_of(CATALOG.get("gemini-1.5-flash"), usage)
    assert cost == Decimal("0.000009075")  # 9 * 0.075e-6 + 28 * 0.30e-6


def test_the_long_context_tier_starts_above_128k_prompt_tokens() -> None:
    model = CATALOG.get("gemini-1.5-flash")
    at_limit = cost_of(model, Usage(prompt=128_000, total=128_000))
    above = cost_of(model, Usage(prompt=128_001, total=128_001))
    assert at_limit == Decimal("0.0096")  # 128000 * 0.075 / 1e6
    assert above == Decimal("0.01920015")  # 128001 * 0.15 / 1e6


def test_thinking_tokens_are_billed_as_output_and_cached_tokens_at_the_cached_price() -> None:
    model = CATALOG.get("gemini-2.5-flash")
    tier = model.tier_for(1000)
    assert tier is not None
    assert tier.cached_input is not None
    usage = Usage(prompt=1000, output=100, cached=400, thoughts=50, total=1150)
    expected = (600 * tier.input + 400 * tier.cached_input + 150 * tier.output) / 1_000_000
    assert cost_of(model, usage) == expected


def test_an_unknown_model_costs_none_never_zero() -> None:
    with pytest.warns(UnknownModelWarning):
        model = CATALOG.get("no-such-model-xyz")
    assert cost_of(model, Usage(prompt=10, output=10, total=20)) is None


def test_tracker_adds_up_by_dimension_and_counts_unpriced_apart() -> None:
    t = CostTracker()
    u = Usage(prompt=10, output=5, total=15)
    t.record(Decimal("0.001"), u, model="m", user="alice", feature="f")
    t.record(Decimal("0.002"), u, model="m", user="bob", feature="f")
    t.record(None, u, model="x", user="bob")
    assert t.total.cost_usd == Decimal("0.003")
    assert t.total.unpriced == 1
    assert t.by("user")["bob"].cost_usd == Decimal("0.002")
    assert t.by("user")["bob"].requests == 2
    assert t.by("feature")["-"].unpriced == 1
    assert t.by("model")["m"].total_tokens == 30
