"""ModelConfig, PriceTier and ModelCatalog on hand-built data: tiers, names, unknown models."""

from __future__ import annotations

import dataclasses
import warnings
from decimal import Decimal

import pytest

from gemgate.config import ModelCatalog, ModelConfig, PriceTier, UnknownModelWarning
from gemgate.config.models import canonical_name
from gemgate.errors import ConfigError

SHORT = PriceTier(1000, Decimal("1"), Decimal("2"), Decimal("0.1"))
LONG = PriceTier(None, Decimal("3"), Decimal("4"))


def catalog() -> ModelCatalog:
    model = ModelConfig("m-1", (SHORT, LONG), rpm=10)
    return ModelCatalog([model], aliases={"m-latest": "m-1"}, as_of="2026-01-01", source="test")


def test_tier_for_picks_the_first_tier_whose_bound_covers_the_prompt() -> None:
    model = ModelConfig("m", (SHORT, LONG))
    assert model.tier_for(0) is SHORT
    assert model.tier_for(1000) is SHORT
    assert model.tier_for(1001) is LONG


def test_a_model_without_tiers_has_no_price() -> None:
    assert ModelConfig("m").tier_for(10) is None


def test_cached_input_defaults_to_none_meaning_the_input_price() -> None:
    assert LONG.cached_input is None


def test_the_last_tier_must_be_unbounded() -> None:
    with pytest.raises(ConfigError) as caught:
        ModelConfig("m", (SHORT,))
    assert (caught.value.key, caught.value.reason_text) == (
        "m.tiers",
        "the last tier must be unbounded",
    )


def test_tiers_must_be_sorted_by_bound() -> None:
    second = PriceTier(500, Decimal("1"), Decimal("1"))
    with pytest.raises(ConfigError, match="sorted"):
        ModelConfig("m", (SHORT, second, LONG))


def test_values_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        SHORT.input = Decimal("9")  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        ModelConfig("m").rpm = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("gemini-2.5-flash", "gemini-2.5-flash"),
        ("models/gemini-2.5-flash", "gemini-2.5-flash"),
        ("publishers/google/models/gemini-2.5-flash", "gemini-2.5-flash"),
        (
            "projects/p/locations/us-central1/publishers/google/models/gemini-2.5-flash",
            "gemini-2.5-flash",
        ),
        ("tunedModels/my-tuned", "my-tuned"),
        ("mymodels/x", "mymodels/x"),
        ("models/", "models/"),
    ],
)
def test_canonical_name_strips_resource_prefixes(given: str, expected: str) -> None:
    assert canonical_name(given) == expected


@pytest.mark.parametrize(
    "spelling", ["m-1", "models/m-1", "publishers/google/models/m-1", "m-latest", "models/m-latest"]
)
def test_get_finds_a_model_by_any_spelling(spelling: str) -> None:
    found = catalog().get(spelling)
    assert (found.name, found.known, found.rpm) == ("m-1", True, 10)


def test_an_exact_name_wins_over_an_alias() -> None:
    other = ModelConfig("m-latest", (LONG,))
    both = ModelCatalog([ModelConfig("m-1"), other], aliases={"m-latest": "m-1"})
    assert both.get("m-latest") is other


def test_an_unknown_model_is_returned_unpriced_and_warned_about_once() -> None:
    cat = catalog()
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        results = [cat.get("models/mystery"), cat.get("mystery"), cat.get("mystery")]
    assert [w.category for w in seen] == [UnknownModelWarning]
    assert "'mystery'" in str(seen[0].message)
    assert {(r.name, r.known, r.tiers, r.rpm) for r in results} == {("mystery", False, (), None)}


def test_each_unknown_name_warns_once_per_catalog() -> None:
    with pytest.warns(UnknownModelWarning, match="'a'"):
        catalog().get("a")
    with pytest.warns(UnknownModelWarning, match="'a'"):
        catalog().get("a")


def test_contains_never_warns() -> None:
    cat = catalog()
    assert "models/m-latest" in cat
    assert "mystery" not in cat
    assert 3 not in cat


def test_names_lists_models_not_aliases() -> None:
    assert catalog().names() == ["m-1"]
    assert len(catalog()) == 1


def test_an_alias_of_a_missing_model_is_refused() -> None:
    with pytest.raises(ConfigError, match="alias of unknown 'nope'"):
        ModelCatalog([], aliases={"x": "nope"})


def test_repr_is_short() -> None:
    assert repr(catalog()) == "ModelCatalog(as_of='2026-01-01', models=1)"
