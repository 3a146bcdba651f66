"""gemgate: safe, exact, cost-aware calls to Google's Gemini API at scale.

The public surface: :class:`GeminiAPIClient` and its :class:`Result`, the components usable on
their own (:class:`ModelConfig`, :class:`RateLimiter`, :class:`CostTracker`), priorities, and
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
    PromptBlocked,
    QueueFull,
    RateLimited,
    Rejected,
    RequestTimeout,
    ServerError,
    TransientError,
)
from gemgate.queue import Priority
from gemgate.ratelimit import RateLimiter

__all__ = [
    "AuthenticationError",
    "BudgetExceeded",
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
    "TransientError",
    "__version__",
    "load_settings",
]
