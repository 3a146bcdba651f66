"""What gemgate knows about each Gemini model: prices by prompt size, default limits, context.

A ``ModelCatalog`` answers ``get(name)`` on the request path, so it is a plain dict lookup on the
name as given, then on the name with its resource prefix stripped (``models/``,
``publishers/google/models/``, ``projects/…/models/``, ``tunedModels/``), then on the declared
aliases. A model it does not know still gets a ``ModelConfig`` (``known=False``, no prices), and
the catalog warns once per such name with ``UnknownModelWarning``::

    >>> from gemgate.config import load_catalog
    >>> flash = load_catalog().get("models/gemini-1.5-flash")
    >>> flash.tier_for(128_000).input, flash.tier_for(128_001).input
    (Decimal('0.075'), Decimal('0.15'))

Prices are USD per 1M tokens, ``Decimal``. The output price also applies to thinking tokens.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from gemgate.config.limits import LimitRule, shorthand_rules
from gemgate.errors import ConfigError

__all__ = ["ModelCatalog", "ModelConfig", "PriceTier", "UnknownModelWarning", "canonical_name"]

# The catalog remembers at most this many unknown names, so a stream of made-up model names
# cannot grow memory without bound; past it, unknown models are neither cached nor warned about.
_MAX_UNKNOWN = 1024


class UnknownModelWarning(UserWarning):
    """A model name the catalog has no entry for: its cost is unknown (counted as zero or refused,
    as the cost policy decides) and no default limits apply."""


@dataclass(frozen=True, slots=True)
class PriceTier:
    """Prices in USD per 1M tokens for prompts of up to ``max_prompt_tokens`` tokens.

    ``max_prompt_tokens`` of ``None`` means no upper bound. ``output`` also prices thinking
    tokens. ``cached_input`` of ``None`` means cached prompt tokens cost the same as ``input``.
    """

    max_prompt_tokens: int | None
    input: Decimal
    output: Decimal
    cached_input: Decimal | None = None


@dataclass(frozen=True, slots=True)
class ModelConfig:
    """One model's prices, default limits and context window.

    ``tiers`` are sorted by ``max_prompt_tokens`` and the last is unbounded; ``()`` means the
    price is unknown. ``rpm``/``tpm``/``rpd`` of ``None`` mean "not limited by default".
    ``known`` is False for a model the catalog had no entry for. ``retired`` marks a model the
    service has shut down (kept so old ledgers and the seed's prices stay explainable).
    """

    name: str
    tiers: tuple[PriceTier, ...] = ()
    rpm: int | None = None
    tpm: int | None = None
    rpd: int | None = None
    context_window: int | None = None
    default_timeout_s: float | None = None
    known: bool = True
    retired: bool = False
    limits: tuple[LimitRule, ...] = ()

    def __post_init__(self) -> None:
        _check_tiers(self.name, self.tiers)

    def limit_rules(self) -> tuple[LimitRule, ...]:
        """``rpm``/``tpm``/``rpd`` as rules, each replaced by a general-form rule of its name."""
        named = {rule.name: rule for rule in shorthand_rules(self.rpm, self.tpm, self.rpd)}
        named.update({rule.name: rule for rule in self.limits})
        return tuple(named.values())

    def tier_for(self, prompt_tokens: int) -> PriceTier | None:
        """The tier that prices a prompt of ``prompt_tokens`` tokens; ``None`` if unpriced."""
        for tier in self.tiers:
            if tier.max_prompt_tokens is None or prompt_tokens <= tier.max_prompt_tokens:
                return tier
        return None


def _check_tiers(name: str, tiers: tuple[PriceTier, ...]) -> None:
    if not tiers:
        return
    bounds = [tier.max_prompt_tokens for tier in tiers]
    if bounds[-1] is not None:
        raise ConfigError("ModelConfig", f"{name}.tiers", "the last tier must be unbounded")
    limits = [bound for bound in bounds[:-1] if bound is not None]
    if len(limits) != len(bounds) - 1 or limits != sorted(set(limits)):
        raise ConfigError(
            "ModelConfig", f"{name}.tiers", "tiers must be sorted by distinct max_prompt_tokens"
        )


def canonical_name(model: str) -> str:
    """``model`` without its resource prefix: ``models/gemini-2.5-flash`` -> ``gemini-2.5-flash``.

    Handles ``models/``, ``tunedModels/``, ``publishers/google/models/`` and full Vertex names
    (``projects/p/locations/l/publishers/google/models/m``).
    """
    for marker in ("models/", "tunedModels/"):
        head, found, tail = model.rpartition(marker)
        if found and tail and (not head or head.endswith("/")):
            return tail
    return model


class ModelCatalog:
    """An immutable set of ``ModelConfig`` by name, with aliases; see the module docstring.

    ``as_of`` and ``source`` say when and from where the packaged prices were read.
    """

    __slots__ = ("_index", "_models", "_unknown", "as_of", "source")

    def __init__(
        self,
        models: Iterable[ModelConfig],
        *,
        aliases: Mapping[str, str] | None = None,
        as_of: str = "",
        source: str = "",
    ) -> None:
        self._models = {model.name: model for model in models}
        self._index = dict(self._models)
        for alias, target in (aliases or {}).items():
            if target not in self._models:
                raise ConfigError(source or "ModelCatalog", alias, f"alias of unknown {target!r}")
            self._index.setdefault(alias, self._models[target])
        self._unknown: dict[str, ModelConfig] = {}
        self.as_of = as_of
        self.source = source

    def get(self, model: str) -> ModelConfig:
        """The config for ``model`` (exact name, then prefix stripped, then aliases).

        An unknown model gets ``ModelConfig(name, known=False)`` and one ``UnknownModelWarning``
        the first time this catalog sees that name.
        """
        found = self._index.get(model)
        if found is not None:
            return found
        name = canonical_name(model)
        found = self._index.get(name) or self._unknown.get(name)
        return found if found is not None else self._first_unknown(name)

    def _first_unknown(self, name: str) -> ModelConfig:
        config = ModelConfig(name, known=False)
        if len(self._unknown) < _MAX_UNKNOWN:
            self._unknown[name] = config
            warnings.warn(
                f"model {name!r} is not in gemgate's catalog (prices as of {self.as_of or '?'}): "
                f'its cost is unknown; add [models."{name}"] prices to the config file',
                UnknownModelWarning,
                stacklevel=3,
            )
        return config

    def names(self) -> list[str]:
        """The catalog's model names (not aliases), sorted."""
        return sorted(self._models)

    def __contains__(self, model: object) -> bool:
        """Whether ``model`` (any accepted spelling) is in the catalog; never warns."""
        if not isinstance(model, str):
            return False
        return model in self._index or canonical_name(model) in self._index

    def __len__(self) -> int:
        return len(self._models)

    def __repr__(self) -> str:
        return f"ModelCatalog(as_of={self.as_of!r}, models={len(self._models)})"
