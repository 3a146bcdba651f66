"""The Gemini REST protocol: types, parsers, error classification, SSE and URLs."""

from gemgate.wire.classify import classify_error, error_from_payload, parse_duration, safe_excerpt
from gemgate.wire.parse import (
    loads_object,
    parse_count_tokens,
    parse_generate_response,
    parse_usage,
)
from gemgate.wire.request import Contents, build_generate_body, normalize_contents, prompt_text
from gemgate.wire.sse import SSEDecoder
from gemgate.wire.types import Candidate, CountTokensResponse, GenerateResponse, Usage
from gemgate.wire.urls import DEVELOPER_API_BASE, Endpoint, model_id

__all__ = [
    "DEVELOPER_API_BASE",
    "Candidate",
    "Contents",
    "CountTokensResponse",
    "Endpoint",
    "GenerateResponse",
    "SSEDecoder",
    "Usage",
    "build_generate_body",
    "classify_error",
    "error_from_payload",
    "loads_object",
    "model_id",
    "normalize_contents",
    "parse_count_tokens",
    "parse_duration",
    "parse_generate_response",
    "parse_usage",
    "prompt_text",
    "safe_excerpt",
]
