"""Rate limits: exact sliding windows per model, requests and tokens taken all-or-nothing."""

from gemgate.ratelimit.estimate import estimate_tokens
from gemgate.ratelimit.limiter import Limits, RateLimiter, Reservation
from gemgate.ratelimit.window import SlidingWindow

__all__ = ["Limits", "RateLimiter", "Reservation", "SlidingWindow", "estimate_tokens"]
