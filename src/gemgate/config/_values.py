"""Checks that turn one raw TOML or environment value into a typed setting, or a ``ConfigError``.

Every check takes ``(value, source, key)``: ``source`` is the file path or ``"environment"``,
``key`` the dotted setting (``"retry.max_attempts"``) or the variable (``"GEMGATE_CONCURRENCY"``).
TOML already types its values, so a check rejects a wrong type instead of coercing it; values
from the environment are strings and are converted first by the ``env_*`` converters, which
raise ``ValueError`` with a reason.

Messages quote a bad value only where that is safe: key names and credential paths never are.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal, InvalidOperation

from gemgate.errors import ConfigError

__all__ = [
    "Check",
    "check_keys",
    "env_float",
    "env_int",
    "env_list",
    "env_str",
    "expect_bool",
    "expect_float",
    "expect_int",
    "expect_price",
    "expect_str",
    "expect_str_list",
    "expect_table",
]

Check = Callable[[object, str, str], object]

_ENV_INT = re.compile(r"^[+-]?\d+$")


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _type_name(value: object) -> str:
    return {bool: "a boolean", int: "an integer", float: "a float", str: "a string"}.get(
        type(value), f"a {type(value).__name__}"
    )


def expect_int(value: object, source: str, key: str, *, minimum: int) -> int:
    """An integer (not a bool) no smaller than ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(source, key, f"expected an integer, got {_type_name(value)}")
    if value < minimum:
        bound = "positive" if minimum == 1 else f">= {minimum}"
        raise ConfigError(source, key, f"must be {bound}, got {value}")
    return value


def expect_float(
    value: object, source: str, key: str, *, minimum: float = 0.0, strict: bool = True
) -> float:
    """A finite number (int or float) above ``minimum`` (or equal to it when not ``strict``)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(source, key, f"expected a number, got {_type_name(value)}")
    number = float(value)
    if not math.isfinite(number):
        raise ConfigError(source, key, f"must be a finite number, got {_shown(value)}")
    if number < minimum or (strict and number == minimum):
        bound = f"> {minimum:g}" if strict else f">= {minimum:g}"
        raise ConfigError(source, key, f"must be {bound}, got {number:g}")
    return number


def expect_str(value: object, source: str, key: str) -> str:
    """A non-empty string without surrounding whitespace."""
    if not isinstance(value, str):
        raise ConfigError(source, key, f"expected a string, got {_type_name(value)}")
    if not value or value != value.strip():
        raise ConfigError(source, key, "must be non-empty, without surrounding spaces")
    return value


def expect_bool(value: object, source: str, key: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(source, key, f"expected true or false, got {_type_name(value)}")
    return value


def expect_str_list(value: object, source: str, key: str) -> tuple[str, ...]:
    """A non-empty list of distinct non-empty strings."""
    if not isinstance(value, list | tuple):
        raise ConfigError(source, key, f"expected a list of strings, got {_type_name(value)}")
    items = tuple(expect_str(item, source, key) for item in value)
    if not items:
        raise ConfigError(source, key, "must not be empty")
    if len(set(items)) != len(items):
        raise ConfigError(source, key, "must not repeat an item")
    return items


def expect_table(value: object, source: str, key: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise ConfigError(source, key, f"expected a table, got {_type_name(value)}")
    return value


def expect_price(value: object, source: str, key: str) -> Decimal:
    """USD per 1M tokens as an exact ``Decimal``, from a quoted string or an integer.

    Floats are refused rather than converted: ``0.1`` in TOML is already a binary approximation,
    and money in gemgate never passes through a float.
    """
    if isinstance(value, float):
        raise ConfigError(
            source, key, f'prices must be quoted strings, e.g. {key.rsplit(".", 1)[-1]} = "0.075"'
        )
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise ConfigError(source, key, f"expected a price string, got {_type_name(value)}")
    try:
        price = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise ConfigError(
            source, key, f'not a decimal number: {_shown(value)} (write e.g. "0.075", no $)'
        ) from None
    if not price.is_finite() or price < 0:
        raise ConfigError(source, key, f"must be a finite price >= 0, got {_shown(value)}")
    return price


def check_keys(
    table: Mapping[str, object], allowed: Iterable[str], source: str, prefix: str
) -> None:
    """Refuse any key of ``table`` not in ``allowed``, suggesting the closest allowed one."""
    known = sorted(allowed)
    for key in table:
        if key not in known:
            raise ConfigError(source, prefix + key, "unknown setting" + _did_you_mean(key, known))


def _did_you_mean(key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if close:
        return f"; did you mean {close[0]!r}?"
    return "; known: " + ", ".join(known) if known else ""


def env_int(text: str) -> object:
    if not _ENV_INT.match(text):
        raise ValueError(f"expected an integer, got {_shown(text)}")
    return int(text)


def env_float(text: str) -> object:
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"expected a number, got {_shown(text)}") from None


def env_str(text: str) -> object:
    return text


def env_list(text: str) -> object:
    """A comma-separated list; blanks around items are dropped."""
    return [item.strip() for item in text.split(",") if item.strip()]


def env_bool(text: str) -> object:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected true or false, got {_shown(text)}")
