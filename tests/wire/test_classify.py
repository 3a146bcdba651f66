"""classify_error and friends: any error answer, however mangled, becomes a typed error."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from gemgate.errors import (
    AuthenticationError,
    DailyQuotaExhausted,
    InvalidRequest,
    RateLimited,
    RequestTimeout,
    ServerError,
)
from gemgate.wire import classify_error, error_from_payload, parse_duration, safe_excerpt

NOW = datetime(2026, 10, 21, 7, 28, tzinfo=UTC).timestamp()
RETRY_INFO = {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "34.4s"}
PER_DAY = {
    "@type": "type.googleapis.com/google.rpc.QuotaFailure",
    "violations": [
        {
            "quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
            "quotaId": "GenerateRequestsPerDayPerProjectPerModel-FreeTier",
            "quotaValue": "250",
        }
    ],
}

NGINX_502 = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)
GOOGLE_502 = """<!DOCTYPE html>
<html lang=en>
  <meta charset=utf-8>
  <meta name=viewport content="initial-scale=1, minimum-scale=1, width=device-width">
  <title>Error 502 (Server Error)!!1</title>
  <style>
    *{margin:0;padding:0}html,code{font:15px/22px arial,sans-serif}html{background:#fff}
  </style>
  <a href=//www.google.com/><span id=logo aria-label=Google></span></a>
  <p><b>502.</b> <ins>That’s an error.</ins>
  <p>The server encountered a temporary error and could not complete your request.<p>Please try
  again in 30 seconds.  <ins>That’s all we know.</ins>
""".encode()


def body(code: int, message: str, status: str, *details: dict[str, Any]) -> bytes:
    error = {"code": code, "message": message, "status": status, "details": list(details)}
    return json.dumps({"error": error}, indent=2).encode()


@pytest.fixture
def eastern_time() -> Iterator[None]:
    """Run with a local time zone five hours from UTC, so naive-datetime bugs show."""
    mp = pytest.MonkeyPatch()
    mp.setenv("TZ", "EST+05")
    time.tzset()
    yield
    mp.undo()
    time.tzset()


# --- bodies that are not Google's JSON ---------------------------------------------------------


def test_an_nginx_html_502_is_a_server_error_with_a_tagless_excerpt() -> None:
    err = classify_error(502, NGINX_502, now=NOW)

    assert type(err) is ServerError
    assert (err.status, err.api_status, err.reason) == (502, None, None)
    assert err.message == "HTTP 502: 502 Bad Gateway 502 Bad Gateway nginx"


def test_a_google_html_502_excerpt_shows_the_words_not_the_css() -> None:
    err = classify_error(502, GOOGLE_502, now=NOW)

    assert type(err) is ServerError
    assert err.message == (
        "HTTP 502: Error 502 (Server Error)!!1 502. That’s an error. The server encountered a "
        "temporary error and could not complete your request. Please try again in 3…"
    )
    assert len(err.message) == 160


def test_a_truncated_json_500_is_a_server_error_quoting_its_start() -> None:
    truncated = body(500, "An internal error has occurred.", "INTERNAL")[:40]

    err = classify_error(500, truncated, now=NOW)

    assert type(err) is ServerError
    assert (err.status, err.api_status) == (500, None)
    assert err.message == 'HTTP 500: { "error": { "code": 500, "mes'


def test_a_truncated_json_429_is_still_rate_limited_without_a_delay() -> None:
    truncated = body(429, "Resource exhausted.", "RESOURCE_EXHAUSTED", RETRY_INFO)[:60]

    err = classify_error(429, truncated, now=NOW)

    assert type(err) is RateLimited
    assert (err.retry_delay, err.quota_violations) == (None, ())


def test_an_error_wrapped_in_a_json_array_is_read_as_the_error() -> None:
    wrapped = b"[" + body(503, "The model is overloaded.", "UNAVAILABLE") + b"]"

    err = classify_error(503, wrapped, now=NOW)

    assert type(err) is ServerError
    assert (err.status, err.api_status, err.message) == (
        503,
        "UNAVAILABLE",
        "The model is overloaded.",
    )


def test_a_429_wrapped_in_a_json_array_keeps_its_retry_info() -> None:
    wrapped = b"[" + body(429, "Resource exhausted.", "RESOURCE_EXHAUSTED", RETRY_INFO) + b"]"

    err = classify_error(429, wrapped, now=NOW)

    assert isinstance(err, RateLimited)
    assert err.retry_delay == 34.4


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, InvalidRequest),
        (401, AuthenticationError),
        (403, AuthenticationError),
        (404, InvalidRequest),
        (408, RequestTimeout),
        (413, InvalidRequest),
        (429, RateLimited),
        (500, ServerError),
        (502, ServerError),
        (503, ServerError),
        (504, ServerError),
    ],
)
def test_an_empty_body_is_classified_by_its_status_alone(status: int, cls: type) -> None:
    err = classify_error(status, b"", now=NOW)

    assert type(err) is cls
    assert (err.status, err.message) == (status, f"HTTP {status}")


@pytest.mark.parametrize(
    "payload", [b"null", b"42", b'"text"', b"[]", b'{"error": "nope"}', b'{"message": "x"}']
)
def test_json_that_is_not_an_error_object_is_quoted_as_an_excerpt(payload: bytes) -> None:
    err = classify_error(503, payload, now=NOW)

    assert type(err) is ServerError
    assert err.message == f"HTTP 503: {payload.decode()}"


# --- Retry-After (proxies; Google sends none) --------------------------------------------------


def test_retry_after_in_seconds_is_the_delay_of_a_bare_429() -> None:
    err = classify_error(429, b"", headers={"Retry-After": "120"}, now=NOW)

    assert isinstance(err, RateLimited)
    assert err.retry_delay == 120.0


def test_retry_after_as_an_http_date_is_the_time_left_until_it() -> None:
    headers = {"Retry-After": "Wed, 21 Oct 2026 07:29:30 GMT"}

    err = classify_error(429, b"", headers=headers, now=NOW)

    assert isinstance(err, RateLimited)
    assert err.retry_delay == 90.0


def test_retry_after_as_a_past_http_date_is_no_wait() -> None:
    headers = {"Retry-After": "Wed, 21 Oct 2026 07:00:00 GMT"}

    err = classify_error(429, b"", headers=headers, now=NOW)

    assert isinstance(err, RateLimited)
    assert err.retry_delay == 0.0


@pytest.mark.usefixtures("eastern_time")
@pytest.mark.parametrize(
    "date",
    ["Wed Oct 21 07:29:30 2026", "Wed, 21 Oct 2026 07:29:30 -0000"],
    ids=["asctime", "-0000"],
)
def test_an_http_date_without_a_zone_is_gmt_whatever_the_local_zone(date: str) -> None:
    err = classify_error(429, b"", headers={"Retry-After": date}, now=NOW)

    assert isinstance(err, RateLimited)
    assert err.retry_delay == 90.0


@pytest.mark.parametrize("name", ["retry-after", "RETRY-AFTER", "Retry-after"])
def test_the_retry_after_header_name_is_case_insensitive(name: str) -> None:
    err = classify_error(429, b"", headers={name: "7"}, now=NOW)

    assert isinstance(err, RateLimited)
    assert err.retry_delay == 7.0


@pytest.mark.parametrize("value", ["soon", "", "1.5", "-3"])
def test_an_unreadable_retry_after_gives_no_delay(value: str) -> None:
    err = classify_error(429, b"", headers={"Retry-After": value}, now=NOW)

    assert isinstance(err, RateLimited)
    assert err.retry_delay is None


def test_retry_info_wins_over_retry_after() -> None:
    answer = body(429, "Resource exhausted.", "RESOURCE_EXHAUSTED", RETRY_INFO)

    err = classify_error(429, answer, headers={"Retry-After": "120"}, now=NOW)

    assert isinstance(err, RateLimited)
    assert err.retry_delay == 34.4


def test_a_zero_retry_info_means_retry_now_not_fall_back() -> None:
    zero = {**RETRY_INFO, "retryDelay": "0s"}
    answer = body(429, "Please retry in 9s.", "RESOURCE_EXHAUSTED", zero)

    err = classify_error(429, answer, headers={"Retry-After": "120"}, now=NOW)

    assert isinstance(err, RateLimited)
    assert err.retry_delay == 0.0


def test_retry_after_wins_over_the_message_text() -> None:
    answer = body(429, "Please retry in 9s.", "RESOURCE_EXHAUSTED")

    err = classify_error(429, answer, headers={"Retry-After": "120"}, now=NOW)

    assert isinstance(err, RateLimited)
    assert err.retry_delay == 120.0


@pytest.mark.parametrize(
    ("text", "delay"),
    [("Please retry in 9s.", 9.0), ("please retry in 250ms", 0.25), ("Please retry soon.", None)],
)
def test_the_message_text_gives_the_delay_as_a_last_resort(text: str, delay: float | None) -> None:
    err = classify_error(429, body(429, text, "RESOURCE_EXHAUSTED"), now=NOW)

    assert isinstance(err, RateLimited)
    assert err.retry_delay == delay


def test_a_per_day_quota_is_daily_quota_exhausted_and_not_retryable() -> None:
    answer = body(429, "Quota exceeded.", "RESOURCE_EXHAUSTED", PER_DAY, RETRY_INFO)

    err = classify_error(429, answer, now=NOW)

    assert type(err) is DailyQuotaExhausted
    assert err.retryable is False
    assert err.retry_delay == 34.4
    assert [(v.quota_value, v.model, v.per_day) for v in err.quota_violations] == [
        (250, None, True)
    ]


# --- error_from_payload: mid-stream errors -----------------------------------------------------


def test_a_mid_stream_error_on_a_200_is_classified_by_its_own_code() -> None:
    error = json.loads(body(429, "Resource exhausted.", "RESOURCE_EXHAUSTED", RETRY_INFO))["error"]

    err = error_from_payload(200, error, request_id="req-7")

    assert type(err) is RateLimited
    assert (err.status, err.retry_delay, err.request_id) == (429, 34.4, "req-7")


def test_a_mid_stream_500_on_a_200_is_a_server_error() -> None:
    error = {"code": 500, "message": "An internal error has occurred.", "status": "INTERNAL"}

    err = error_from_payload(200, error)

    assert type(err) is ServerError
    assert (err.status, err.api_status) == (500, "INTERNAL")


def test_the_http_status_wins_over_the_code_in_the_body() -> None:
    error = {"code": 500, "message": "Upstream failed.", "status": "INTERNAL"}

    err = error_from_payload(502, error)

    assert (type(err), err.status) == (ServerError, 502)


def test_a_request_id_is_carried_by_every_error() -> None:
    err = classify_error(400, body(400, "Bad.", "INVALID_ARGUMENT"), request_id="req-1", now=NOW)

    assert (type(err), err.request_id) == (InvalidRequest, "req-1")


# --- messages ----------------------------------------------------------------------------------


def test_a_json_message_keeps_its_angle_brackets() -> None:
    text = "maxOutputTokens must be <= 65536 and > 0; got <unset>"

    err = classify_error(400, body(400, text, "INVALID_ARGUMENT"), now=NOW)

    assert err.message == text


def test_an_api_key_in_an_error_message_is_redacted(fake_api_key: str) -> None:
    answer = body(400, f"API key {fake_api_key} not valid.", "INVALID_ARGUMENT")

    err = classify_error(400, answer, now=NOW)

    assert err.message == "API key <redacted> not valid."
    assert fake_api_key not in repr(err)


def test_an_api_key_in_a_non_json_body_is_redacted(fake_api_key: str) -> None:
    page = f"<p>Bad request to /v1beta/models/x?key={fake_api_key}</p>".encode()

    err = classify_error(400, page, now=NOW)

    assert err.message == "HTTP 400: Bad request to /v1beta/models/x?key=<redacted>"


# --- parse_duration ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("34.4s", 34.4),
        ("45.837906927s", 45.837906927),
        ("26s", 26.0),
        ("0s", 0.0),
        (" 3s ", 3.0),
    ],
)
def test_parse_duration_reads_a_protobuf_duration(value: str, seconds: float) -> None:
    assert parse_duration(value) == seconds


@pytest.mark.parametrize(
    "value", ["", "s", "34.4", "34.4 s", "1m", "34,4s", "abc", "1e3s", None, 34.4, {"seconds": 3}]
)
def test_parse_duration_of_anything_else_is_none(value: object) -> None:
    assert parse_duration(value) is None


# --- safe_excerpt ------------------------------------------------------------------------------


def test_safe_excerpt_redacts_a_key_shaped_string(fake_api_key: str) -> None:
    assert safe_excerpt(f"key={fake_api_key}&alt=sse") == "key=<redacted>&alt=sse"


def test_safe_excerpt_redacts_a_key_before_cutting_the_text(fake_api_key: str) -> None:
    """A key across the cut must not leave its first characters behind."""
    text = "x" * 150 + " " + fake_api_key

    excerpt = safe_excerpt(text.encode())

    assert "AIza" not in excerpt
    assert excerpt == "x" * 150 + " <redacte…"


def test_safe_excerpt_caps_the_length_at_160_characters() -> None:
    excerpt = safe_excerpt("word " * 100)

    assert len(excerpt) == 160
    assert excerpt == ("word " * 32)[:159] + "…"


def test_safe_excerpt_leaves_a_short_text_whole() -> None:
    assert safe_excerpt("a" * 160) == "a" * 160


def test_safe_excerpt_is_one_line_without_tags() -> None:
    assert safe_excerpt(b"<h1>Bad\r\nGateway</h1>\n\n<p>nginx</p>") == "Bad Gateway nginx"


def test_safe_excerpt_drops_script_and_style_blocks() -> None:
    page = b"<style>p{color:red}</style><script>var a = '<b>';</script><p>Gone.</p>"

    assert safe_excerpt(page) == "Gone."


def test_safe_excerpt_replaces_bytes_that_are_not_utf8() -> None:
    assert safe_excerpt(b"bad \xff byte") == "bad \ufffd byte"


def test_safe_excerpt_redacts_an_oauth_access_token() -> None:
    token = "ya29." + "a0AfB_byC" * 6
    excerpt = safe_excerpt(f"Request had invalid authentication credentials: {token} end")
    assert token not in excerpt
    assert "<redacted>" in excerpt
    assert excerpt.endswith("end")
