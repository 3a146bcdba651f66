"""The error bodies Google sends, built from the captured samples in ``wire-samples/errors``.

Every body is ``{"error": {"code", "message", "status", "details"?}}``. The messages are the real
ones; where no capture exists (502, 504) the text follows Google's status table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "ErrorBody",
    "QuotaViolation",
    "api_key_invalid",
    "bad_request",
    "error_for_status",
    "format_duration",
    "html_page",
    "not_found",
    "quota_exceeded",
    "unauthenticated",
    "unregistered_caller",
]

ErrorBody = dict[str, Any]

DEVELOPER_SERVICE = "generativelanguage.googleapis.com"
VERTEX_SERVICE = "aiplatform.googleapis.com"
RATE_LIMIT_DOCS = "https://ai.google.dev/gemini-api/docs/rate-limits"
_QUOTA_MESSAGE = (
    "You exceeded your current quota, please check your plan and billing details. "
    f"For more information on this error, head to: {RATE_LIMIT_DOCS}. "
    "To monitor your current usage, head to: https://ai.dev/usage?tab=rate-limit. "
)
_KEY_INVALID = "API key not valid. Please pass a valid API key."
_UNREGISTERED = (
    "Method doesn't allow unregistered callers (callers without established identity). "
    "Please use API Key or other form of API consumer identity to call this API."
)
_MISSING_CREDENTIAL = (
    "Request is missing required authentication credential. Expected OAuth 2 access token, "
    "login cookie or other valid authentication credential. "
    "See https://developers.google.com/identity/sign-in/web/devconsole-project."
)
_INVALID_CREDENTIAL = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
    "cookie or other valid authentication credential. "
    "See https://developers.google.com/identity/sign-in/web/devconsole-project."
)
_KEY_NOT_SUPPORTED = (
    "API keys are not supported by this API. Expected OAuth2 access token or other "
    "authentication credentials that assert a principal. "
    "See https://cloud.google.com/docs/authentication"
)
_VERTEX_401 = {
    "missing": (_MISSING_CREDENTIAL, "CREDENTIALS_MISSING"),
    "api_key": (_KEY_NOT_SUPPORTED, "CREDENTIALS_MISSING"),
    "bad_token": (_INVALID_CREDENTIAL, "ACCESS_TOKEN_TYPE_UNSUPPORTED"),
}
_SIMPLE: dict[int, tuple[str, str]] = {
    400: ("INVALID_ARGUMENT", "Request contains an invalid argument."),
    401: ("UNAUTHENTICATED", _INVALID_CREDENTIAL),
    403: ("PERMISSION_DENIED", "The caller does not have permission"),
    500: (
        "INTERNAL",
        "An internal error has occurred. Please retry or report in "
        "https://developers.generativeai.google/guide/troubleshooting",
    ),
    502: ("UNAVAILABLE", "Bad Gateway"),
    503: ("UNAVAILABLE", "The model is overloaded. Please try again later."),
    504: ("DEADLINE_EXCEEDED", "Deadline expired before operation could complete."),
}


def _body(code: int, status: str, message: str, details: list[Any] | None = None) -> ErrorBody:
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if details:
        error["details"] = details
    return {"error": error}


def _error_info(reason: str, metadata: dict[str, str]) -> dict[str, Any]:
    return {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": reason,
        "domain": "googleapis.com",
        "metadata": metadata,
    }


def api_key_invalid(vertex: bool = False) -> ErrorBody:
    """400 INVALID_ARGUMENT for a key the service does not know (never echoes the key)."""
    service = VERTEX_SERVICE if vertex else DEVELOPER_SERVICE
    localized = {
        "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
        "locale": "en-US",
        "message": _KEY_INVALID,
    }
    details = [_error_info("API_KEY_INVALID", {"service": service}), localized]
    return _body(400, "INVALID_ARGUMENT", _KEY_INVALID, details)


def unregistered_caller() -> ErrorBody:
    """403 for a Developer API request that carries no credential at all."""
    return _body(403, "PERMISSION_DENIED", _UNREGISTERED)


def unauthenticated(problem: Literal["missing", "api_key", "bad_token"], method: str) -> ErrorBody:
    """401 of Vertex AI: no credential, an API key on a project path, or a rejected token."""
    message, reason = _VERTEX_401[problem]
    metadata = {
        "service": VERTEX_SERVICE,
        "method": f"google.cloud.aiplatform.v1beta1.PredictionService.{method[:1].upper()}"
        f"{method[1:]}",
    }
    return _body(401, "UNAUTHENTICATED", message, [_error_info(reason, metadata)])


def bad_request(message: str) -> ErrorBody:
    """400 INVALID_ARGUMENT with a specific message."""
    return _body(400, "INVALID_ARGUMENT", message)


def not_found(model_path: str, version: str, method: str) -> ErrorBody:
    """404 for a model, in the words of ``404-not-found-model.json``."""
    message = (
        f"{model_path} is not found for API version {version}, or is not supported for "
        f"{method}. Call ListModels to see the list of available models and their supported "
        "methods."
    )
    return _body(404, "NOT_FOUND", message)


def error_for_status(code: int) -> ErrorBody:
    """The plain body for a status that needs no request context (not 404 or 429)."""
    status, message = _SIMPLE.get(code, ("UNKNOWN", "Unknown error."))
    return _body(code, status, message)


@dataclass(frozen=True, slots=True)
class QuotaViolation:
    """One exceeded quota: ``tokens`` tells input tokens from requests, ``per_day`` the span."""

    tokens: bool
    limit: int | None
    per_day: bool = False

    @property
    def metric(self) -> str:
        kind = "input_token_count" if self.tokens else "requests"
        return f"{DEVELOPER_SERVICE}/generate_content_paid_tier_{kind}"

    @property
    def quota_id(self) -> str:
        span = "Day" if self.per_day else "Minute"
        if self.tokens:
            return f"GenerateContentInputTokensPerModelPer{span}"
        return f"GenerateRequestsPer{span}PerProjectPerModel"

    def as_detail(self, region: str, model: str) -> dict[str, Any]:
        violation: dict[str, Any] = {
            "quotaMetric": self.metric,
            "quotaId": self.quota_id,
            "quotaDimensions": {"location": region, "model": model},
        }
        if self.limit is not None:
            violation["quotaValue"] = str(self.limit)
        return violation


def quota_exceeded(
    violations: list[QuotaViolation], region: str, model: str, retry_delay_s: float | None
) -> ErrorBody:
    """429 RESOURCE_EXHAUSTED with QuotaFailure, Help and (if it can ever fit) RetryInfo."""
    lines = [
        f"* Quota exceeded for metric: {v.metric}, limit: {v.limit or 0}, model: {model}"
        for v in violations
    ]
    message = _QUOTA_MESSAGE + "\n" + "\n".join(lines)
    details: list[Any] = [
        {
            "@type": "type.googleapis.com/google.rpc.QuotaFailure",
            "violations": [v.as_detail(region, model) for v in violations],
        },
        {
            "@type": "type.googleapis.com/google.rpc.Help",
            "links": [
                {"description": "Learn more about Gemini API quotas", "url": RATE_LIMIT_DOCS}
            ],
        },
    ]
    if retry_delay_s is not None:
        delay = format_duration(retry_delay_s)
        message += f"\nPlease retry in {delay}."
        details.append({"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay})
    return _body(429, "RESOURCE_EXHAUSTED", message, details)


def format_duration(seconds: float) -> str:
    """A protobuf JSON Duration, rounded *up* to the millisecond so waiting it always suffices.

    >>> format_duration(2.3441), format_duration(15.0), format_duration(0.0)
    ('2.345s', '15s', '0s')
    """
    millis = max(0, math.ceil(round(seconds * 1000.0, 6)))
    whole, frac = divmod(millis, 1000)
    return f"{whole}s" if frac == 0 else f"{whole}.{frac:03d}s"


_HTML_TEXT = {
    404: "The requested URL <code>{path}</code> was not found on this server.",
    502: "The server encountered a temporary error and could not complete your request."
    "<p>Please try again in 30 seconds.",
    503: "The service you requested is not available at this time.<p>Service error -27.",
}
_HTML_TITLE = {404: "Not Found", 502: "Server Error", 503: "Service Unavailable"}


def html_page(status: int, path: str = "/") -> str:
    """Google's front-end error page (``That’s an error.``), as ``text/html``."""
    text = _HTML_TEXT.get(status, "The server cannot process the request.").format(path=path)
    title = _HTML_TITLE.get(status, "Error")
    return (
        "<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n"
        '  <meta name=viewport content="initial-scale=1, minimum-scale=1, width=device-width">\n'
        f"  <title>Error {status} ({title})!!1</title>\n"
        "  <a href=//www.google.com/><span id=logo aria-label=Google></span></a>\n"
        f"  <p><b>{status}.</b> <ins>That’s an error.</ins>\n"
        f"  <p>{text}  <ins>That’s all we know.</ins>\n"
    )
