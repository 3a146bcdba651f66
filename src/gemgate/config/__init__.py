"""gemgate's configuration: settings from a TOML file and the environment, and the model catalog.

::

    from gemgate.config import load_settings

    settings = load_settings()          # ./gemgate.toml or $GEMGATE_CONFIG, then GEMGATE_* vars
    flash = settings.catalog.get(settings.default_model)
    flash.tier_for(prompt_tokens=1_000).input   # Decimal, USD per 1M tokens

The catalog's prices and default limits come from the packaged, dated ``data/models.toml``
(``catalog.as_of``, ``catalog.source``), merged with the config file's ``[models."name"]`` tables.
Every invalid setting raises ``gemgate.errors.ConfigError`` naming the file, key and reason.
See docs/configuration.md for every key, default and environment variable.
"""

from gemgate.config.catalog import load_catalog
from gemgate.config.limits import LimitRule, parse_limit
from gemgate.config.loader import load_settings
from gemgate.config.models import ModelCatalog, ModelConfig, PriceTier, UnknownModelWarning
from gemgate.config.settings import (
    DEFAULT_API_KEY_ENV,
    DEFAULT_MODEL,
    BreakerSettings,
    EndpointSettings,
    LimitSettings,
    RetrySettings,
    Settings,
    ThrottleSettings,
    TransportSettings,
)

__all__ = [
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
