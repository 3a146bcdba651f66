"""The public surface of ``gemgate.config``, pinned."""

from __future__ import annotations

import dataclasses

import pytest

import gemgate.config
from gemgate.config import (
    EndpointSettings,
    ModelConfig,
    PriceTier,
    RetrySettings,
    Settings,
    TransportSettings,
)


def test_the_exported_names_are_pinned_and_sorted() -> None:
    assert gemgate.config.__all__ == [
        "DEFAULT_API_KEY_ENV",
        "DEFAULT_MODEL",
        "BreakerSettings",
        "EndpointSettings",
        "LimitRule",
        "LimitSettings",
        "ModelCatalog",
        "ModelConfig",
        "PriceTier",
        "RetrySettings",
        "Settings",
        "ThrottleSettings",
        "TransportSettings",
        "UnknownModelWarning",
        "load_catalog",
        "load_settings",
        "parse_limit",
    ]
    # the order is ruff's (RUF022: constants, then classes, then functions, each sorted)
    for name in gemgate.config.__all__:
        assert hasattr(gemgate.config, name), name


@pytest.mark.parametrize(
    "cls", [PriceTier, ModelConfig, Settings, EndpointSettings, RetrySettings, TransportSettings]
)
def test_values_are_frozen_slotted_dataclasses(cls: type) -> None:
    params = cls.__dataclass_params__  # type: ignore[attr-defined]
    assert params.frozen
    assert "__slots__" in vars(cls)


def test_settings_cannot_be_changed() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Settings().concurrency = 2  # type: ignore[misc]
