"""Build a ``ModelCatalog`` from the packaged, dated price data plus the config file's overrides.

Each model is a flat table; the same keys serve the packaged ``data/models.toml`` and a config
file's ``[models."name"]`` tables::

    input = "0.30"                 # USD per 1M prompt tokens (quoted: prices are Decimal)
    output = "2.50"                # USD per 1M output tokens, thinking included
    cached_input = "0.03"          # per 1M cached prompt tokens; absent = same as input
    long_context_threshold = 200000  # prompts above this many tokens use the *_long prices
    input_long = "2.50"  output_long = "15.00"  cached_input_long = "0.25"
    rpm = 150  tpm = 2000000  rpd = 10000      # default limits; 0 = not limited
    limits = ["requests=50/5s", "tokens=20000/5s,burst=2000"]  # general form, over rpm/tpm
    context_window = 1048576  default_timeout_s = 300
    aliases = ["gemini-x-latest"]  retired = false
    [prices_from."2027-01-01"]     # prices that take effect on a date (UTC), same price keys
    input = "1.50"

An override is merged key by key over the packaged entry of the same name, so it may change one
price and keep the rest; an override for a name not in the data adds a model. Dated prices are
resolved within each layer first (packaged, then the override), so a price you set is never
replaced later by a packaged scheduled change.
"""

from __future__ import annotations

import datetime
import functools
import importlib.resources
import re
import tomllib
from collections.abc import Mapping
from decimal import Decimal
from typing import NamedTuple

from gemgate.config._values import (
    check_keys,
    expect_bool,
    expect_float,
    expect_int,
    expect_price,
    expect_str,
    expect_str_list,
    expect_table,
)
from gemgate.config.limits import LimitRule, parse_limit
from gemgate.config.models import ModelCatalog, ModelConfig, PriceTier
from gemgate.errors import ConfigError

__all__ = ["PACKAGED_DATA", "load_catalog"]

PACKAGED_DATA = "gemgate/config/data/models.toml"

_PRICES = ("input", "output", "cached_input", "input_long", "output_long", "cached_input_long")
_DATED = (*_PRICES, "long_context_threshold")
_LIMITS = ("rpm", "tpm", "rpd")
_OTHER = ("context_window", "default_timeout_s", "aliases", "retired", "prices_from", "limits")
_MODEL_KEYS = (*_DATED, *_LIMITS, *_OTHER)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

Typed = dict[str, object]


class _Layer(NamedTuple):
    """One source's typed values for one model: the base, and price changes by date."""

    base: Typed
    changes: tuple[tuple[datetime.date, Typed], ...]

    def on(self, day: datetime.date) -> Typed:
        values = dict(self.base)
        for start, change in self.changes:
            if start <= day:
                values.update(change)
        return values


class _Packaged(NamedTuple):
    as_of: str
    source: str
    models: dict[str, _Layer]


def load_catalog(
    overrides: Mapping[str, Mapping[str, object]] | None = None,
    *,
    source: str = "<config>",
    today: datetime.date | None = None,
) -> ModelCatalog:
    """The packaged catalog with ``overrides`` (a config file's ``[models]`` table) merged in.

    ``source`` names where the overrides came from, for errors. ``today`` (default: the UTC date)
    picks which dated prices are in force.
    """
    data = _packaged()
    day = today or datetime.datetime.now(datetime.UTC).date()
    values = {name: layer.on(day) for name, layer in data.models.items()}
    origin = dict.fromkeys(values, PACKAGED_DATA)
    for name, table in (overrides or {}).items():
        layer = _layer(name, expect_table(table, source, f'models."{name}"'), source)
        values[name] = {**values.get(name, {}), **layer.on(day)}
        origin[name] = source
    models = [_build(name, typed, origin[name]) for name, typed in values.items()]
    aliases = _aliases(values, origin)
    return ModelCatalog(models, aliases=aliases, as_of=data.as_of, source=data.source)


@functools.cache
def _packaged() -> _Packaged:
    """The packaged data file, parsed and checked once per process."""
    text = (importlib.resources.files("gemgate.config") / "data" / "models.toml").read_text("utf-8")
    raw = tomllib.loads(text)
    check_keys(raw, ("meta", "models"), PACKAGED_DATA, "")
    meta = expect_table(raw.get("meta", {}), PACKAGED_DATA, "meta")
    check_keys(meta, ("as_of", "source", "limits_source"), PACKAGED_DATA, "meta.")
    as_of = expect_str(meta.get("as_of"), PACKAGED_DATA, "meta.as_of")
    _date(as_of, PACKAGED_DATA, "meta.as_of")
    origin = expect_str(meta.get("source"), PACKAGED_DATA, "meta.source")
    tables = expect_table(raw.get("models", {}), PACKAGED_DATA, "models")
    models = {
        name: _layer(name, expect_table(table, PACKAGED_DATA, name), PACKAGED_DATA)
        for name, table in tables.items()
    }
    return _Packaged(as_of, origin, models)


def _layer(name: str, table: Mapping[str, object], source: str) -> _Layer:
    prefix = f'models."{name}".'
    _check_model_keys(table, source, prefix)
    base = {key: _typed(key, value, source, prefix + key) for key, value in table.items()}
    dated = expect_table(base.pop("prices_from", {}), source, prefix + "prices_from")
    changes = [_change(day, change, source, prefix) for day, change in dated.items()]
    changes.sort(key=lambda change: change[0])
    return _Layer(base, tuple(changes))


def _check_model_keys(table: Mapping[str, object], source: str, prefix: str) -> None:
    for key, value in table.items():
        if key not in _MODEL_KEYS and isinstance(value, Mapping):
            raise ConfigError(
                source,
                prefix + key,
                'unknown setting; quote model names that contain dots: [models."gemini-2.5-flash"]',
            )
    check_keys(table, _MODEL_KEYS, source, prefix)


def _change(day: str, table: object, source: str, prefix: str) -> tuple[datetime.date, Typed]:
    key = f'{prefix}prices_from."{day}"'
    start = _date(day, source, key)
    change = expect_table(table, source, key)
    check_keys(change, _DATED, source, key + ".")
    return start, {
        name: _typed(name, value, source, f"{key}.{name}") for name, value in change.items()
    }


def _date(text: str, source: str, key: str) -> datetime.date:
    try:
        if _DATE.match(text):
            return datetime.date.fromisoformat(text)
    except ValueError:
        pass
    raise ConfigError(source, key, f"expected a date as YYYY-MM-DD, got {text!r}")


def _typed(key: str, value: object, source: str, where: str) -> object:
    """Check one model setting's value; limits of 0 become ``None`` (not limited)."""
    if key in _PRICES:
        return expect_price(value, source, where)
    if key in _LIMITS:
        return expect_int(value, source, where, minimum=0) or None
    if key in ("long_context_threshold", "context_window"):
        return expect_int(value, source, where, minimum=1)
    if key == "default_timeout_s":
        return expect_float(value, source, where)
    if key == "aliases":
        return expect_str_list(value, source, where)
    if key == "retired":
        return expect_bool(value, source, where)
    if key == "limits":
        texts = expect_str_list(value, source, where)
        return tuple(parse_limit(text, source, where) for text in texts)
    return value  # prices_from: checked by _layer


def _build(name: str, values: Typed, source: str) -> ModelConfig:
    def get(key: str) -> object:
        return values.get(key)

    return ModelConfig(
        name,
        _tiers(name, values, source),
        rpm=_opt_int(get("rpm")),
        tpm=_opt_int(get("tpm")),
        rpd=_opt_int(get("rpd")),
        context_window=_opt_int(get("context_window")),
        default_timeout_s=_opt_float(get("default_timeout_s")),
        retired=get("retired") is True,
        limits=_rules(get("limits")),
    )


def _rules(value: object) -> tuple[LimitRule, ...]:
    return tuple(r for r in value if isinstance(r, LimitRule)) if isinstance(value, tuple) else ()


def _tiers(name: str, values: Typed, source: str) -> tuple[PriceTier, ...]:
    prefix = f'models."{name}".'
    _require_together(values, ("input", "output"), source, prefix)
    if "input" not in values:
        for key in _DATED:
            if key in values:
                raise ConfigError(source, prefix + key, "needs input and output prices too")
        return ()
    base = _tier(None, values, "")
    long_keys = ("long_context_threshold", "input_long", "output_long")
    _require_together(values, long_keys, source, prefix)
    if "long_context_threshold" not in values:
        if "cached_input_long" in values:
            raise ConfigError(
                source, prefix + "cached_input_long", "needs long_context_threshold too"
            )
        return (base,)
    threshold = _opt_int(values["long_context_threshold"])
    return (_tier(threshold, values, ""), _tier(None, values, "_long"))


def _tier(max_prompt_tokens: int | None, values: Typed, suffix: str) -> PriceTier:
    cached = values.get("cached_input" + suffix)
    return PriceTier(
        max_prompt_tokens,
        _decimal(values["input" + suffix]),
        _decimal(values["output" + suffix]),
        _decimal(cached) if cached is not None else None,
    )


def _decimal(value: object) -> Decimal:
    assert isinstance(value, Decimal)  # every price went through expect_price
    return value


def _require_together(values: Typed, keys: tuple[str, ...], source: str, prefix: str) -> None:
    present = [key for key in keys if key in values]
    if present and len(present) != len(keys):
        missing = [key for key in keys if key not in values]
        raise ConfigError(
            source, prefix + present[0], f"also needs {', '.join(missing)} (set them together)"
        )


def _aliases(values: Mapping[str, Typed], origin: Mapping[str, str]) -> dict[str, str]:
    owners: dict[str, str] = {}
    for name, typed in values.items():
        for alias in _strings(typed.get("aliases")):
            if owners.get(alias, name) != name:
                raise ConfigError(
                    origin[name],
                    f'models."{name}".aliases',
                    f"{alias!r} is already an alias of {owners[alias]!r}",
                )
            owners[alias] = name
    return owners


def _strings(value: object) -> tuple[str, ...]:
    if not isinstance(value, tuple):
        return ()
    return tuple(item for item in value if isinstance(item, str))


def _opt_int(value: object) -> int | None:
    return value if isinstance(value, int) else None


def _opt_float(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None
