"""The public surface is small, sorted and pinned: changing it is a deliberate act."""

import gemgate

EXPECTED = [
    "AuthenticationError",
    "BudgetExceeded",
    "CircuitBreaker",
    "CircuitOpen",
    "ConfigError",
    "ConnectionFailed",
    "CostTracker",
    "DailyQuotaExhausted",
    "DeadlineExceeded",
    "GemgateError",
    "GeminiAPIClient",
    "InvalidRequest",
    "MalformedResponse",
    "ModelConfig",
    "NoSuchRegion",
    "Priority",
    "PromptBlocked",
    "QueueFull",
    "RateLimited",
    "RateLimiter",
    "Rejected",
    "RequestTimeout",
    "Result",
    "ServerError",
    "Settings",
    "Stream",
    "Throttled",
    "TransientError",
    "__version__",
    "load_settings",
]


def test_exported_names_are_pinned() -> None:
    assert gemgate.__all__ == EXPECTED


def test_every_exported_name_exists() -> None:
    for name in gemgate.__all__:
        assert hasattr(gemgate, name), name


def test_every_error_derives_from_the_one_root() -> None:
    for name in gemgate.__all__:
        obj = getattr(gemgate, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert issubclass(obj, gemgate.GemgateError), name
