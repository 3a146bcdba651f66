"""The packaged price data and per-model overrides merged into it by ``load_catalog``."""

from __future__ import annotations

import datetime
import importlib.resources
import re
from decimal import Decimal

import pytest

from gemgate.config import ModelConfig, PriceTier, load_catalog
from gemgate.config.catalog import _packaged
from gemgate.errors import ConfigError

D = Decimal


def test_the_data_file_ships_inside_the_package() -> None:
    data = importlib.resources.files("gemgate.config") / "data" / "models.toml"
    assert data.is_file()


def test_the_catalog_is_dated_and_names_its_source() -> None:
    catalog = load_catalog()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", catalog.as_of)
    assert catalog.source == "https://ai.google.dev/gemini-api/docs/pricing"


def test_the_packaged_data_is_parsed_once() -> None:
    assert _packaged() is _packaged()


def test_gemini_15_flash_keeps_the_seeds_prices_and_is_retired() -> None:
    flash = load_catalog().get("gemini-1.5-flash")
    assert flash.tiers == (
        PriceTier(128_000, D("0.075"), D("0.30"), D("0.01875")),
        PriceTier(None, D("0.15"), D("0.60"), D("0.0375")),
    )
    assert (flash.retired, flash.known, flash.context_window) == (True, True, 1_048_576)


def test_the_long_context_tier_starts_above_128k_tokens_for_15_flash() -> None:
    flash = load_catalog().get("models/gemini-1.5-flash")
    at, above = flash.tier_for(128_000), flash.tier_for(128_001)
    assert at is not None
    assert above is not None
    assert (at.input, at.output) == (D("0.075"), D("0.30"))
    assert (above.input, above.output) == (D("0.15"), D("0.60"))


def test_gemini_25_pro_has_a_tier_above_200k_tokens() -> None:
    pro = load_catalog().get("gemini-2.5-pro")
    assert pro.tiers == (
        PriceTier(200_000, D("1.25"), D("10.00"), D("0.125")),
        PriceTier(None, D("2.50"), D("15.00"), D("0.25")),
    )
    assert (pro.rpm, pro.tpm, pro.rpd) == (150, 2_000_000, 10_000)


@pytest.mark.parametrize(
    ("model", "tier"),
    [
        ("gemini-2.5-flash", PriceTier(None, D("0.30"), D("2.50"), D("0.03"))),
        ("gemini-2.5-flash-lite", PriceTier(None, D("0.10"), D("0.40"), D("0.01"))),
        ("gemini-3-flash-preview", PriceTier(None, D("0.50"), D("3.00"), D("0.05"))),
        ("gemini-3.5-flash", PriceTier(None, D("1.50"), D("9.00"), D("0.15"))),
    ],
)
def test_single_tier_models_have_their_published_prices(model: str, tier: PriceTier) -> None:
    assert load_catalog().get(model).tiers == (tier,)


def test_current_models_are_present() -> None:
    names = load_catalog().names()
    for model in ("gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite"):
        assert model in names
    assert any(name.startswith("gemini-3") for name in names)


def test_every_packaged_model_is_priced_with_an_unbounded_last_tier() -> None:
    catalog = load_catalog()
    for name in catalog.names():
        tiers = catalog.get(name).tiers
        assert tiers, name
        assert tiers[-1].max_prompt_tokens is None, name


def test_declared_aliases_resolve_to_their_model() -> None:
    catalog = load_catalog()
    assert catalog.get("gemini-3-pro-preview").name == "gemini-3.1-pro-preview"
    assert catalog.get("models/gemini-1.5-flash-002").name == "gemini-1.5-flash"


def test_dated_prices_take_effect_on_their_day() -> None:
    before = load_catalog(today=datetime.date(2026, 12, 31)).get("gemini-3.8-flash")
    after = load_catalog(today=datetime.date(2027, 1, 1)).get("gemini-3.8-flash")
    assert before.tiers == (PriceTier(None, D("0.75"), D("3.75"), D("0.075")),)
    assert after.tiers == (PriceTier(None, D("1.50"), D("7.50"), D("0.15")),)


def test_an_override_replaces_one_value_and_keeps_the_others() -> None:
    catalog = load_catalog({"gemini-2.5-flash": {"rpm": 5, "output": "2.00"}})
    flash = catalog.get("gemini-2.5-flash")
    assert flash.tiers == (PriceTier(None, D("0.30"), D("2.00"), D("0.03")),)
    assert (flash.rpm, flash.tpm) == (5, 1_000_000)


def test_an_override_may_add_a_model_with_a_long_context_tier() -> None:
    table: dict[str, object] = {
        "input": "0.1",
        "output": "0.4",
        "long_context_threshold": 200_000,
        "input_long": "0.2",
        "output_long": "0.8",
        "rpm": 60,
    }
    tuned = load_catalog({"my-tuned": table}).get("tunedModels/my-tuned")
    assert tuned == ModelConfig(
        "my-tuned",
        (PriceTier(200_000, D("0.1"), D("0.4")), PriceTier(None, D("0.2"), D("0.8"))),
        rpm=60,
    )


def test_a_limit_of_zero_means_not_limited() -> None:
    flash = load_catalog({"gemini-2.5-flash": {"rpd": 0}}).get("gemini-2.5-flash")
    assert flash.rpd is None


def test_a_price_you_set_is_not_replaced_by_a_packaged_dated_change() -> None:
    mine = {"input": "0.5", "output": "2"}
    flash = load_catalog({"gemini-3.8-flash": mine}, today=datetime.date(2027, 6, 1))
    tier = flash.get("gemini-3.8-flash").tiers[0]
    assert (tier.input, tier.output, tier.cached_input) == (D("0.5"), D("2"), D("0.15"))


def test_an_integer_price_is_exact() -> None:
    model = load_catalog({"x": {"input": 1, "output": 2}}).get("x")
    assert model.tiers == (PriceTier(None, D(1), D(2)),)


def errors(overrides: dict[str, object]) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_catalog(overrides, source="conf.toml")  # type: ignore[arg-type]
    assert caught.value.source == "conf.toml"
    return caught.value


def test_a_float_price_is_refused_with_a_hint_to_quote_it() -> None:
    error = errors({"x": {"input": 0.1, "output": "1"}})
    assert error.key == 'models."x".input'
    assert error.reason_text == 'prices must be quoted strings, e.g. input = "0.075"'


@pytest.mark.parametrize(
    ("price", "reason"),
    [
        ("$0.30", "not a decimal number: '$0.30'"),
        ("-1", "must be a finite price >= 0, got '-1'"),
        ("NaN", "must be a finite price >= 0, got 'NaN'"),
        (True, "expected a price string, got a boolean"),
    ],
)
def test_a_bad_price_is_refused(price: object, reason: str) -> None:
    error = errors({"x": {"input": price, "output": "1"}})
    assert error.key == 'models."x".input'
    assert error.reason_text.startswith(reason)


def test_an_unknown_model_key_suggests_the_closest_one() -> None:
    error = errors({"gemini-2.5-flash": {"inptu": "1"}})
    assert error.key == 'models."gemini-2.5-flash".inptu'
    assert error.reason_text == "unknown setting; did you mean 'input'?"


def test_an_unquoted_dotted_model_name_gets_a_hint() -> None:
    error = errors({"gemini-2": {"5-flash": {"rpm": 1}}})
    assert error.key == 'models."gemini-2".5-flash'
    assert "quote model names that contain dots" in error.reason_text


def test_input_and_output_are_set_together() -> None:
    error = errors({"x": {"input": "1"}})
    assert error.key == 'models."x".input'
    assert error.reason_text == "also needs output (set them together)"


def test_a_long_context_tier_needs_its_threshold_and_prices() -> None:
    error = errors({"x": {"input": "1", "output": "1", "input_long": "2"}})
    assert error.key == 'models."x".input_long'
    assert error.reason_text == (
        "also needs long_context_threshold, output_long (set them together)"
    )


def test_a_cached_price_without_input_is_refused() -> None:
    error = errors({"x": {"cached_input": "1"}})
    assert (error.key, error.reason_text) == (
        'models."x".cached_input',
        "needs input and output prices too",
    )


@pytest.mark.parametrize(
    ("table", "key", "reason"),
    [
        ({"rpm": -1}, "rpm", "must be >= 0, got -1"),
        ({"rpm": "10"}, "rpm", "expected an integer, got a string"),
        ({"context_window": 0}, "context_window", "must be positive, got 0"),
        ({"default_timeout_s": 0}, "default_timeout_s", "must be > 0, got 0"),
        ({"retired": "yes"}, "retired", "expected true or false, got a string"),
        ({"aliases": "x"}, "aliases", "expected a list of strings, got a string"),
    ],
)
def test_bad_model_values_are_refused(table: dict[str, object], key: str, reason: str) -> None:
    error = errors({"x": table})
    assert (error.key, error.reason_text) == (f'models."x".{key}', reason)


def test_a_price_change_needs_a_real_date() -> None:
    error = errors({"x": {"prices_from": {"2027-13-01": {"input": "1"}}}})
    assert error.key == 'models."x".prices_from."2027-13-01"'
    assert error.reason_text == "expected a date as YYYY-MM-DD, got '2027-13-01'"


def test_a_price_change_holds_prices_only() -> None:
    error = errors({"x": {"prices_from": {"2027-01-01": {"rpm": 1}}}})
    assert error.key == 'models."x".prices_from."2027-01-01".rpm'
    assert error.reason_text.startswith("unknown setting")


def test_two_models_cannot_share_an_alias() -> None:
    error = errors({"mine": {"aliases": ["gemini-3-pro-preview"]}})
    assert error.key == 'models."mine".aliases'
    assert error.reason_text == (
        "'gemini-3-pro-preview' is already an alias of 'gemini-3.1-pro-preview'"
    )


def test_a_model_entry_must_be_a_table() -> None:
    error = errors({"x": 3})
    assert (error.key, error.reason_text) == ('models."x"', "expected a table, got an integer")
