"""gemgate: safe, exact, cost-aware calls to Google's Gemini API at scale.

The public surface: :class:`GeminiAPIClient` and its :class:`Result`, the components usable on
their own (:class:`ModelConfig`, :class:`RateLimiter`, :class:`CircuitBreaker`,
:class:`CostTracker`), priorities, and
the error tree rooted at :class:`GemgateError` (see :mod:`gemgate.errors`).
"""

from gemgate._version import __version__
from gemgate.client import GeminiAPIClient, Result, Stream
from gemgate.config import ModelConfig, Settings, load_settings
from gemgate.cost import CostTracker
from gemgate.errors import (
    AuthenticationError,
    BudgetExceeded,
    CircuitOpen,
    ConfigError,
    ConnectionFailed,
    DailyQuotaExhausted,
    DeadlineExceeded,
    GemgateError,
    InvalidRequest,
    MalformedResponse,
    NoSuchRegion,
    PromptBlocked,
    QueueFull,
    RateLimited,
    Rejected,
    RequestTimeout,
    ServerError,
    Throttled,
    TransientError,
)
from gemgate.queue import Priority
from gemgate.ratelimit import RateLimiter
from gemgate.resilience import CircuitBreaker

__all__ = [
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
