"""``load_settings``: one TOML file plus ``GEMGATE_*`` environment variables -> ``Settings``.

The file is ``path`` if given, else ``$GEMGATE_CONFIG``, else ``./gemgate.toml`` if it exists,
else none (defaults). Environment variables override the file; an empty variable counts as
unset. Every bad value raises ``ConfigError(source, key, reason)`` naming the file (or
``"environment"``), the key (``"retry.max_attempts"``) or variable (``"GEMGATE_MAX_ATTEMPTS"``),
and what is wrong. ``gemgate.config._fields`` lists every setting and its variable.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from gemgate.config._fields import FIELDS, SECTIONS, VERTEX_FALLBACKS, Field
from gemgate.config._values import check_keys, expect_table
from gemgate.config.catalog import load_catalog
from gemgate.config.models import ModelCatalog
from gemgate.config.settings import (
    API_VERSIONS,
    BreakerSettings,
    EndpointSettings,
    LimitSettings,
    RetrySettings,
    Settings,
    ThrottleSettings,
    TransportSettings,
)
from gemgate.errors import ConfigError

__all__ = ["CONFIG_ENV", "DEFAULT_CONFIG_FILE", "ENVIRONMENT", "load_settings"]

CONFIG_ENV = "GEMGATE_CONFIG"
DEFAULT_CONFIG_FILE = "gemgate.toml"
ENVIRONMENT = "environment"
_FILE_KEY = "<file>"
_TOML_LINE = re.compile(r"\(at line (\d+), column \d+\)")


class _Value(NamedTuple):
    """A checked setting and where it came from."""

    value: object
    source: str
    key: str


def load_settings(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Read the config file and the environment (``os.environ`` when ``env`` is None)."""
    environ = os.environ if env is None else env
    file = _find_file(path, environ)
    raw = _read_toml(file) if file is not None else {}
    source = str(file) if file is not None else "<defaults>"
    _check_layout(raw, source)
    values = _collect(raw, source, environ)
    _apply_vertex_fallbacks(values, environ)
    _check_api_version(values)
    _check_delays(values)
    _check_needs(values)
    models = expect_table(raw.get("models", {}), source, "models")
    return _assemble(values, file, load_catalog(_tables(models, source), source=source), source)


def _find_file(path: str | Path | None, environ: Mapping[str, str]) -> Path | None:
    if path is not None:
        if not Path(path).is_file():
            raise ConfigError(str(path), _FILE_KEY, "config file not found")
        return Path(path)
    named = environ.get(CONFIG_ENV, "").strip()
    if named:
        if not Path(named).is_file():
            raise ConfigError(ENVIRONMENT, CONFIG_ENV, f"config file not found: {named}")
        return Path(named)
    local = Path.cwd() / DEFAULT_CONFIG_FILE
    return local if local.is_file() else None


def _read_toml(file: Path) -> dict[str, object]:
    try:
        with file.open("rb") as stream:
            return tomllib.load(stream)
    except OSError as exc:
        raise ConfigError(str(file), _FILE_KEY, f"cannot read: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(str(file), _FILE_KEY, "not UTF-8 text") from exc
    except tomllib.TOMLDecodeError as exc:
        line = _TOML_LINE.search(str(exc))
        key = f"line {line.group(1)}" if line else _FILE_KEY
        raise ConfigError(str(file), key, f"invalid TOML: {exc}") from exc


def _check_layout(raw: Mapping[str, object], source: str) -> None:
    """Unknown keys anywhere (outside [models], which the catalog checks) are errors."""
    sections = {
        name: {f.path.split(".")[1] for f in FIELDS if f.path.startswith(name + ".")}
        for name in SECTIONS
    }
    top = {f.path for f in FIELDS if "." not in f.path} | set(SECTIONS) | {"models"}
    for key in raw:
        if key == "api_key":
            raise ConfigError(
                source,
                key,
                "gemgate never reads a key from the config file; "
                "name a file in api_key_file or set GEMGATE_API_KEY",
            )
        home = [name for name, keys in sections.items() if key in keys]
        if key not in top and home:
            raise ConfigError(source, key, f"unknown top-level setting; it belongs in [{home[0]}]")
    check_keys(raw, top, source, "")
    for name, keys in sections.items():
        check_keys(expect_table(raw.get(name, {}), source, name), keys, source, name + ".")


def _collect(
    raw: Mapping[str, object], source: str, environ: Mapping[str, str]
) -> dict[str, _Value]:
    values: dict[str, _Value] = {}
    for field in FIELDS:
        found = _from_file(raw, field, source)
        text = environ.get(field.env, "").strip() if field.env else ""
        if field.env and text:
            found = _from_env(field, field.env, text)
        if found is not None:
            values[field.path] = found
    return values


def _from_file(raw: Mapping[str, object], field: Field, source: str) -> _Value | None:
    section, _, key = field.path.rpartition(".")
    table = raw.get(section, {}) if section else raw
    if not isinstance(table, Mapping) or key not in table:
        return None
    return _Value(field.check(table[key], source, field.path), source, field.path)


def _from_env(field: Field, name: str, text: str) -> _Value:
    try:
        converted = field.from_env(text)
    except ValueError as exc:
        raise ConfigError(ENVIRONMENT, name, str(exc)) from None
    return _Value(field.check(converted, ENVIRONMENT, name), ENVIRONMENT, name)


def _apply_vertex_fallbacks(values: dict[str, _Value], environ: Mapping[str, str]) -> None:
    kind = values.get("endpoint.kind")
    if kind is None or kind.value != "vertex":
        return
    for path, name in VERTEX_FALLBACKS.items():
        text = environ.get(name, "").strip()
        if path not in values and text:
            field = next(f for f in FIELDS if f.path == path)
            values[path] = _from_env(field, name, text)


def _check_api_version(values: dict[str, _Value]) -> None:
    kind = str(values["endpoint.kind"].value) if "endpoint.kind" in values else "developer"
    allowed = API_VERSIONS[kind]
    given = values.get("endpoint.api_version")
    if given is None:
        values["endpoint.api_version"] = _Value(allowed[0], "<defaults>", "endpoint.api_version")
    elif given.value not in allowed:
        raise ConfigError(
            given.source,
            given.key,
            f"the {kind} endpoint serves {' or '.join(allowed)}, not {given.value!r}",
        )


def _check_delays(values: dict[str, _Value]) -> None:
    defaults = RetrySettings()
    base = values.get("retry.base_delay_s", _Value(defaults.base_delay_s, "", ""))
    top = values.get("retry.max_delay_s", _Value(defaults.max_delay_s, "", ""))
    if _number(top.value) < _number(base.value):
        blame = top if top.key else base
        raise ConfigError(
            blame.source,
            blame.key,
            f"max_delay_s ({top.value}) is below base_delay_s ({base.value})",
        )


def _check_needs(values: dict[str, _Value]) -> None:
    """Settings that only make sense with another: shared breakers need the Redis URL (and
    have no failure rate), several base URLs are a Developer API feature (Vertex fails over
    between regions)."""
    shared, rate = values.get("breaker.shared"), values.get("breaker.failure_rate")
    if shared is not None and shared.value and "limits.redis_url" not in values:
        raise ConfigError(shared.source, shared.key, "needs limits.redis_url (GEMGATE_REDIS_URL)")
    if shared is not None and shared.value and rate is not None and rate.value is not None:
        reason = "is counted per process; shared breakers count consecutive failures only"
        raise ConfigError(rate.source, rate.key, reason)
    urls, kind = values.get("endpoint.base_urls"), values.get("endpoint.kind")
    if urls is not None and kind is not None and kind.value == "vertex":
        raise ConfigError(urls.source, urls.key, "is for the Developer API; Vertex uses regions")


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def _tables(models: Mapping[str, object], source: str) -> dict[str, Mapping[str, object]]:
    return {name: expect_table(table, source, f'models."{name}"') for name, table in models.items()}


def _assemble(
    values: Mapping[str, _Value], file: Path | None, catalog: ModelCatalog, source: str
) -> Settings:
    # Any: each value went through its field's check, which returns the dataclass field's type.
    def section(name: str) -> dict[str, Any]:
        prefix = name + "."
        return {p.removeprefix(prefix): v.value for p, v in values.items() if p.startswith(prefix)}

    top: dict[str, Any] = {p: v.value for p, v in values.items() if "." not in p}
    if "api_key_file" in top:
        top["api_key_file"] = _key_path(str(top["api_key_file"]), values["api_key_file"], file)
    return dataclasses.replace(
        Settings(catalog=catalog, source=source),
        endpoint=dataclasses.replace(EndpointSettings(), **section("endpoint")),
        retry=dataclasses.replace(RetrySettings(), **section("retry")),
        breaker=dataclasses.replace(BreakerSettings(), **section("breaker")),
        throttle=dataclasses.replace(ThrottleSettings(), **section("throttle")),
        transport=dataclasses.replace(TransportSettings(), **section("transport")),
        limits=dataclasses.replace(LimitSettings(), **section("limits")),
        **top,
    )


def _key_path(text: str, origin: _Value, file: Path | None) -> Path:
    """``~`` expanded; a relative path in the file is relative to the file's directory."""
    path = Path(text).expanduser()
    if origin.source != ENVIRONMENT and file is not None and not path.is_absolute():
        return file.parent / path
    return path
