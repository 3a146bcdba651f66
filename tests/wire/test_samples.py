"""Every real capture in ``samples/`` parses to exact values.

``samples/SOURCES.md`` says where each file comes from. Each sample file is named once below, and
``test_every_sample_file_has_a_test`` fails when a file is added without a test naming it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gemgate.errors import (
    AuthenticationError,
    DailyQuotaExhausted,
    GemgateError,
    InvalidRequest,
    MalformedResponse,
    QuotaViolation,
    RateLimited,
    ServerError,
)
from gemgate.wire import (
    Endpoint,
    GenerateResponse,
    SSEDecoder,
    Usage,
    build_generate_body,
    classify_error,
    loads_object,
    parse_generate_response,
)

SAMPLES = Path(__file__).parent / "samples"
SHARED_SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "wire-samples"
NOW = 1_767_225_600.0  # 2026-01-01T00:00:00Z; no sample carries Retry-After, so it is never read

TPM_429 = "errors/429-resource-exhausted-free-tier-tpm-2025-06.json"
RPM_429 = "errors/429-resource-exhausted-free-tier-rpm-2025-08.json"
MULTI_429 = "errors/429-resource-exhausted-multi-violation-partial-2025.json"
TEXT_429 = "errors/429-message-with-retry-in-text-2026.txt"
BAD_KEY = "errors/400-invalid-argument-api-key-invalid.json"
BAD_KEY_DEBUGINFO = "errors/400-invalid-argument-api-key-invalid-with-debuginfo.json"
USER_LOCATION = "errors/400-failed-precondition-user-location.json"
BATCH_EMBED = "errors/400-invalid-argument-batch-embed-over-100.json"
TOKEN_COUNT = "errors/400-invalid-argument-input-token-count.json"
PENALTY = "errors/400-invalid-argument-penalty-not-enabled.json"
BUDGET_AND_LEVEL = "errors/400-invalid-argument-thinking-budget-and-level.json"
LEVEL_MINIMAL = "errors/400-invalid-argument-thinking-level-minimal.json"
SERVICE_BLOCKED = "errors/403-permission-denied-api-key-service-blocked.json"
KEY_LEAKED = "errors/403-permission-denied-key-leaked.json"
UNREGISTERED = "errors/403-permission-denied-unregistered-callers.json"
MODEL_NOT_FOUND = "errors/404-not-found-model.json"
INTERNAL = "errors/500-internal.json"
HIGH_DEMAND = "errors/503-unavailable-high-demand-2026.json"
OVERLOADED = "errors/503-unavailable-overloaded.json"
VERTEX_401 = "errors/vertex-401-unauthenticated-api-key-not-supported.json"
VERTEX_MESSAGES = "errors/vertex-messages.txt"
GENERATE_3_PRO = "responses/gemini-api-generate-gemini-3-pro-preview.json"
PROMPT_BLOCKED = "responses/gemini-api-prompt-blocked-prohibited-content.json"
SUCCESS_HEADERS = "responses/gemini-api-success-response-headers-2026-02.txt"
VERTEX_GENERATE = "responses/vertex-generate-gemini-2.5-flash-2025-08.json"
SSE_37_FLASH = "streaming/gemini-api-sse-gemini-3.7-flash-2026-09.sse"
CHUNKS_3_PRO = "streaming/gemini-api-stream-chunks-gemini-3-pro-preview.jsonl"
CHUNKS_REASONING = "streaming/gemini-api-stream-chunks-reasoning-gemini-3-pro-preview.jsonl"
CHUNKS_BLOCKED = "streaming/gemini-api-stream-prompt-block.jsonl"
VERTEX_SSE_PARTIAL = "streaming/vertex-sse-2024-06-partial-with-headers.txt"
SDK_175 = "sdk-requests/sdk1750-apikey.json"
SDK_361 = "sdk-requests/sdk361-apikey.json"
SDK_361_MISC = "sdk-requests/sdk361-misc.json"
SDK_361_VERTEX = "sdk-requests/sdk361-vertex.json"

COVERED = {
    *(TPM_429, RPM_429, MULTI_429, TEXT_429, BAD_KEY, BAD_KEY_DEBUGINFO, USER_LOCATION),
    *(BATCH_EMBED, TOKEN_COUNT, PENALTY, BUDGET_AND_LEVEL, LEVEL_MINIMAL, SERVICE_BLOCKED),
    *(KEY_LEAKED, UNREGISTERED, MODEL_NOT_FOUND, INTERNAL, HIGH_DEMAND, OVERLOADED),
    *(VERTEX_401, VERTEX_MESSAGES, GENERATE_3_PRO, PROMPT_BLOCKED, SUCCESS_HEADERS),
    *(VERTEX_GENERATE, SSE_37_FLASH, CHUNKS_3_PRO, CHUNKS_REASONING, CHUNKS_BLOCKED),
    *(VERTEX_SSE_PARTIAL, SDK_175, SDK_361, SDK_361_MISC, SDK_361_VERTEX),
}

QUOTA_MESSAGE_EXCERPT = (
    "You exceeded your current quota, please check your plan and billing details. For more "
    "information on this error, head to: https://ai.google.dev/gemini-api/docs…"
)


def read(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def classify_sample(name: str) -> GemgateError:
    """Classify an error sample as if it arrived with the status its body states."""
    body = read(name)
    return classify_error(json.loads(body)["error"]["code"], body, now=NOW)


def text_lines(name: str) -> list[str]:
    """The lines of a ``.txt`` sample that are not ``#`` comments."""
    lines = read(name).decode("utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


def envelope(code: int, status: str, message: str, details: list[Any] | None = None) -> bytes:
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if details is not None:
        error["details"] = details
    return json.dumps({"error": error}, indent=2).encode()


def test_every_sample_file_has_a_test() -> None:
    on_disk = {
        path.relative_to(SAMPLES).as_posix()
        for path in SAMPLES.rglob("*")
        if path.is_file() and path.name != "SOURCES.md"
    }
    assert on_disk == COVERED


# --- the vendored copy -------------------------------------------------------------------------


def _files_under(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.mark.skipif(
    not SHARED_SAMPLES.is_dir(), reason=f"no shared wire-samples at {SHARED_SAMPLES} to compare"
)
def test_every_shared_sample_has_an_identical_vendored_copy() -> None:
    vendored = _files_under(SAMPLES)
    for name, content in _files_under(SHARED_SAMPLES).items():
        assert name in vendored, f"{name} is in {SHARED_SAMPLES} but not vendored"
        assert vendored[name] == content, f"vendored {name} differs from {SHARED_SAMPLES}"


@pytest.mark.skipif(
    not SHARED_SAMPLES.is_dir(), reason=f"no shared wire-samples at {SHARED_SAMPLES} to compare"
)
def test_the_vendored_copy_has_no_file_the_shared_samples_lack() -> None:
    assert set(_files_under(SAMPLES)) <= set(_files_under(SHARED_SAMPLES))


# --- errors: 429 -------------------------------------------------------------------------------


def test_free_tier_tpm_429_is_a_per_minute_token_rate_limit() -> None:
    err = classify_sample(TPM_429)

    assert type(err) is RateLimited
    assert err.retryable is True
    assert (err.status, err.api_status) == (429, "RESOURCE_EXHAUSTED")
    assert err.retry_delay == 26.0
    assert err.message == QUOTA_MESSAGE_EXCERPT
    assert err.quota_violations == (
        QuotaViolation(
            quota_metric="generativelanguage.googleapis.com/generate_content_free_tier_input_token_count",
            quota_id="GenerateContentInputTokensPerModelPerMinute-FreeTier",
            quota_value=250000,
            model="gemini-2.5-flash",
        ),
    )
    (violation,) = err.quota_violations
    assert (violation.per_minute, violation.per_day, violation.tokens) == (True, False, True)
    assert err.quota_metric == violation.quota_metric


def test_free_tier_rpm_429_is_a_per_minute_request_rate_limit() -> None:
    err = classify_sample(RPM_429)

    assert type(err) is RateLimited
    assert err.retry_delay == 15.0
    assert err.quota_violations == (
        QuotaViolation(
            quota_metric="generativelanguage.googleapis.com/generate_content_free_tier_requests",
            quota_id="GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
            quota_value=10,
            model="gemini-2.5-flash",
        ),
    )
    (violation,) = err.quota_violations
    assert (violation.per_minute, violation.per_day, violation.tokens) == (True, False, False)


def free_tier_violation(quota_metric: str, quota_id: str) -> QuotaViolation:
    """A violation of the partial sample: gemini-2.0-flash, free tier, no quotaValue."""
    return QuotaViolation(quota_metric, quota_id + "-FreeTier", None, "gemini-2.0-flash")


def test_a_429_with_a_per_day_violation_among_three_is_daily_quota_exhausted() -> None:
    """The partial capture's details tail, wrapped in a 429 envelope: one per-day violation wins."""
    tail = json.loads(read(MULTI_429))["error_details_tail"]
    body = envelope(429, "RESOURCE_EXHAUSTED", "You exceeded your current quota.", tail)

    err = classify_error(429, body, now=NOW)

    assert type(err) is DailyQuotaExhausted
    assert isinstance(err, RateLimited)
    assert err.retryable is False
    assert err.retry_delay == 47.0
    metric = "generativelanguage.googleapis.com/generate_content_free_tier_"
    assert err.quota_violations == (
        free_tier_violation(metric + "requests", "GenerateRequestsPerDayPerProjectPerModel"),
        free_tier_violation(metric + "requests", "GenerateRequestsPerMinutePerProjectPerModel"),
        free_tier_violation(
            metric + "input_token_count", "GenerateContentInputTokensPerModelPerMinute"
        ),
    )
    assert [(v.per_day, v.per_minute, v.tokens) for v in err.quota_violations] == [
        (True, False, False),
        (False, True, False),
        (False, True, True),
    ]


def test_the_retry_delay_comes_from_the_message_text_when_there_is_no_retry_info() -> None:
    """The 2026 message ends in "Please retry in 47.174066935s." after ~900 characters."""
    (line,) = text_lines(TEXT_429)
    message = json.loads(f'"{line}"')  # the sample is the JSON string's content, \n escapes kept
    assert message.count("\n* Quota exceeded for metric: ") == 3

    err = classify_error(429, envelope(429, "RESOURCE_EXHAUSTED", message), now=NOW)

    assert type(err) is RateLimited
    assert err.retry_delay == 47.174066935
    assert err.quota_violations == ()
    assert "\n" not in err.message
    assert err.message.startswith("You exceeded your current quota, please check your plan")


# --- errors: credentials -----------------------------------------------------------------------


def test_a_bad_api_key_is_an_authentication_error_despite_its_400() -> None:
    err = classify_sample(BAD_KEY)

    assert type(err) is AuthenticationError
    assert err.retryable is False
    assert (err.status, err.api_status, err.reason) == (400, "INVALID_ARGUMENT", "API_KEY_INVALID")
    assert err.message == "API key not valid. Please pass a valid API key."


def test_the_debug_info_variant_never_shows_its_debug_detail(fake_api_key: str) -> None:
    """DebugInfo echoes the key; the sample has it redacted, so put a key-shaped one back."""
    body = read(BAD_KEY_DEBUGINFO).replace(b"<REDACTED_KEY>", fake_api_key.encode())
    assert fake_api_key.encode() in body

    err = classify_error(400, body, now=NOW)

    assert type(err) is AuthenticationError
    assert (err.status, err.api_status, err.reason) == (400, "INVALID_ARGUMENT", "API_KEY_INVALID")
    assert err.message == "API key not valid. Please pass a valid API key."
    for shown in (str(err), repr(err)):
        assert "Invalid API key" not in shown
        assert fake_api_key not in shown
        assert "AIza" not in shown


@pytest.mark.parametrize(
    ("name", "reason", "message"),
    [
        (
            SERVICE_BLOCKED,
            "API_KEY_SERVICE_BLOCKED",
            "Requests to this API generativelanguage.googleapis.com method google.ai."
            "generativelanguage.v1beta.GenerativeService.StreamGenerateContent are blocked.",
        ),
        (KEY_LEAKED, None, "Your API key was reported as leaked. Please use another API key."),
        (
            UNREGISTERED,
            None,
            "Method doesn't allow unregistered callers (callers without established identity). "
            "Please use API Key or other form of API consumer identity to call this API.",
        ),
    ],
)
def test_a_403_is_an_authentication_error(name: str, reason: str | None, message: str) -> None:
    err = classify_sample(name)

    assert type(err) is AuthenticationError
    assert (err.status, err.api_status, err.reason) == (403, "PERMISSION_DENIED", reason)
    assert err.message == message


def test_vertex_401_for_an_api_key_is_an_authentication_error() -> None:
    err = classify_sample(VERTEX_401)

    assert type(err) is AuthenticationError
    assert err.status == 401
    assert (err.api_status, err.reason) == ("UNAUTHENTICATED", "CREDENTIALS_MISSING")
    assert err.message == (
        "API keys are not supported by this API. Expected OAuth2 access token or other "
        "authentication credentials that assert a principal. See https://cloud.google.com/…"
    )


# --- errors: the request is wrong --------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "api_status", "message"),
    [
        (USER_LOCATION, "FAILED_PRECONDITION", "User location is not supported for the API use."),
        (
            BATCH_EMBED,
            "INVALID_ARGUMENT",
            "* BatchEmbedContentsRequest.requests: at most 100 requests can be in one batch",
        ),
        (
            TOKEN_COUNT,
            "INVALID_ARGUMENT",
            "The input token count (3475108) exceeds the maximum number of tokens allowed "
            "(1048576).",
        ),
        (PENALTY, "INVALID_ARGUMENT", "Penalty is not enabled for models/gemini-2.5-flash"),
        (
            BUDGET_AND_LEVEL,
            "INVALID_ARGUMENT",
            "You can only set only one of thinking budget and thinking level.",
        ),
        (
            LEVEL_MINIMAL,
            "INVALID_ARGUMENT",
            "Thinking level MINIMAL is not supported for this model. Please retry with other "
            "thinking level.",
        ),
    ],
)
def test_a_400_about_the_request_is_invalid_request(
    name: str, api_status: str, message: str
) -> None:
    err = classify_sample(name)

    assert type(err) is InvalidRequest
    assert isinstance(err, ValueError)
    assert err.retryable is False
    assert (err.status, err.api_status, err.reason) == (400, api_status, None)
    assert err.message == message


def test_an_unknown_model_404_is_invalid_request() -> None:
    err = classify_sample(MODEL_NOT_FOUND)

    assert type(err) is InvalidRequest
    assert (err.status, err.api_status) == (404, "NOT_FOUND")
    assert err.message == (
        "models/gemini-pro is not found for API version v1beta, or is not supported for "
        "generateContent. Call ListModels to see the list of available models and their s…"
    )


# --- errors: the service failed ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "status", "api_status", "message"),
    [
        (
            INTERNAL,
            500,
            "INTERNAL",
            "An internal error has occurred. Please retry or report in "
            "https://developers.generativeai.google/guide/troubleshooting",
        ),
        (
            HIGH_DEMAND,
            503,
            "UNAVAILABLE",
            "This model is currently experiencing high demand. Spikes in demand are usually "
            "temporary. Please try again later.",
        ),
        (OVERLOADED, 503, "UNAVAILABLE", "The model is overloaded. Please try again later."),
    ],
)
def test_a_5xx_is_a_retryable_server_error(
    name: str, status: int, api_status: str, message: str
) -> None:
    err = classify_sample(name)

    assert type(err) is ServerError
    assert err.retryable is True
    assert (err.status, err.api_status) == (status, api_status)
    assert err.message == message


# --- errors: Vertex message strings ------------------------------------------------------------

VERTEX_MESSAGE_CLASSES: list[tuple[int, str, type[GemgateError]]] = [
    (429, "RESOURCE_EXHAUSTED", RateLimited),
    (429, "RESOURCE_EXHAUSTED", RateLimited),
    (403, "PERMISSION_DENIED", AuthenticationError),
    (401, "UNAUTHENTICATED", AuthenticationError),
    (400, "INVALID_ARGUMENT", InvalidRequest),
]


def _vertex_messages() -> list[tuple[int, str, str]]:
    """``"429 RESOURCE_EXHAUSTED (note) : message"`` lines -> (code, status, message)."""
    parsed = []
    for line in text_lines(VERTEX_MESSAGES):
        head, message = line.split(" : ", 1)
        code, status = head.split()[:2]
        parsed.append((int(code), status, message))
    return parsed


def test_the_vertex_messages_sample_has_the_five_expected_lines() -> None:
    assert [(code, status) for code, status, _ in _vertex_messages()] == [
        (code, status) for code, status, _ in VERTEX_MESSAGE_CLASSES
    ]


@pytest.mark.parametrize("index", range(len(VERTEX_MESSAGE_CLASSES)))
def test_a_vertex_message_in_the_standard_envelope_is_classified_by_its_code(index: int) -> None:
    code, status, message = _vertex_messages()[index]

    err = classify_error(code, envelope(code, status, message), now=NOW)

    assert type(err) is VERTEX_MESSAGE_CLASSES[index][2]
    assert (err.status, err.api_status) == (code, status)
    assert err.message == (message if len(message) <= 160 else message[:159] + "…")


def test_a_vertex_429_without_details_has_no_delay_and_no_violations() -> None:
    code, status, message = _vertex_messages()[0]

    err = classify_error(code, envelope(code, status, message), now=NOW)

    assert isinstance(err, RateLimited)
    assert (err.retry_delay, err.quota_violations) == (None, ())


def test_a_vertex_message_keeps_its_angle_bracket_placeholder() -> None:
    """A JSON message is text, not HTML: ``<PROJECT_ID>`` is not a tag to strip."""
    code, status, message = _vertex_messages()[2]

    err = classify_error(code, envelope(code, status, message), now=NOW)

    assert "//aiplatform.googleapis.com/projects/<PROJECT_ID>/locations/us-central1/" in err.message


# --- responses ---------------------------------------------------------------------------------


def parse_sample(name: str) -> GenerateResponse:
    return parse_generate_response(loads_object(read(name)))


def test_a_gemini_3_pro_response_parses_to_its_text_usage_and_ids() -> None:
    response = parse_sample(GENERATE_3_PRO)

    assert response.text == (
        "There are **3** r's in strawberry.\n\nHere is the breakdown: st**r**awbe**rr**y."
    )
    assert response.thoughts == ""
    assert response.finish_reason == "STOP"
    assert response.usage == Usage(prompt=9, output=28, cached=0, thoughts=244, total=281)
    assert response.usage.total == response.usage.prompt + response.usage.output + 244
    assert (response.model_version, response.response_id) == (
        "gemini-3-pro-preview",
        "Un6LacrVMcjUxs0PmJfWoQc",
    )
    assert response.block_reason is None
    (candidate,) = response.candidates
    assert (candidate.role, candidate.index) == ("model", 0)


def test_a_thought_signature_does_not_make_a_part_a_thought() -> None:
    (candidate,) = parse_sample(GENERATE_3_PRO).candidates
    (part,) = candidate.parts

    assert "thoughtSignature" in part
    assert candidate.text == part["text"]


def test_thought_parts_are_excluded_from_the_sample_answer_text() -> None:
    raw = json.loads(read(GENERATE_3_PRO))
    parts = raw["candidates"][0]["content"]["parts"]
    parts.insert(0, {"text": "Counting the letters.", "thought": True})

    response = parse_generate_response(raw)

    assert response.text == (
        "There are **3** r's in strawberry.\n\nHere is the breakdown: st**r**awbe**rr**y."
    )
    assert response.thoughts == "Counting the letters."


def test_a_blocked_prompt_is_a_200_with_a_block_reason_and_no_candidates() -> None:
    response = parse_sample(PROMPT_BLOCKED)

    assert response.block_reason == "PROHIBITED_CONTENT"
    assert response.candidates == ()
    assert (response.text, response.finish_reason) == ("", None)
    assert response.usage == Usage(prompt=9, total=9)
    assert (response.model_version, response.response_id) == (
        "gemini-3.7-flash",
        "EXCPaojyHaDUjMcP656rqAk",
    )


def test_a_vertex_response_parses_despite_its_field_order_and_missing_index() -> None:
    response = parse_sample(VERTEX_GENERATE)

    (candidate,) = response.candidates
    assert (candidate.role, candidate.index, candidate.finish_reason) == ("model", 0, "STOP")
    assert response.text.startswith("The weather in **Dallas, Texas** is currently:\n\n*   **Tem")
    assert response.text.endswith("it's always best to check a live weather app or website!*")
    assert "**85°F (29°C)**" in response.text
    assert len(response.text) == 527
    assert response.usage == Usage(prompt=7, output=158, cached=0, thoughts=712, total=877)
    assert (response.model_version, response.response_id) == (
        "gemini-2.5-flash",
        "lHuaaKrAM63zgLUPu77m6Ao",
    )


def _header_lines(name: str) -> dict[str, str]:
    pairs = (line.split(": ", 1) for line in text_lines(name))
    return {key.lower(): value for key, value in pairs}


def test_a_success_carries_no_rate_limit_headers() -> None:
    headers = _header_lines(SUCCESS_HEADERS)

    assert headers["content-type"] == "application/json; charset=UTF-8"
    assert headers["date"] == "Wed, 25 Feb 2026 04:08:21 GMT"
    assert "retry-after" not in headers
    assert not [key for key in headers if key.startswith("x-ratelimit")]


def test_with_googles_real_headers_a_bare_429_has_no_retry_delay() -> None:
    err = classify_error(429, b"", headers=_header_lines(SUCCESS_HEADERS), now=NOW)

    assert isinstance(err, RateLimited)
    assert err.retry_delay is None


# --- streaming: SSE ----------------------------------------------------------------------------


def _expected_sse_events() -> list[str]:
    lines = read(SSE_37_FLASH).decode("utf-8").split("\n")
    return [line.removeprefix("data: ") for line in lines if line.startswith("data: ")]


def _decode_in_chunks(stream: bytes, size: int) -> list[str]:
    decoder = SSEDecoder()
    events: list[str] = []
    for start in range(0, len(stream), size):
        events += decoder.feed(stream[start : start + size])
    events += decoder.close()
    assert decoder.pending == 0
    return events


def test_the_sse_sample_holds_two_events_ended_by_blank_lines() -> None:
    stream = read(SSE_37_FLASH)

    assert stream.count(b"\n\n") == 2
    assert stream.endswith(b"\n\n")
    assert len(_expected_sse_events()) == 2


@pytest.mark.parametrize("size", range(1, 65))
@pytest.mark.parametrize("newline", [b"\n", b"\r\n"], ids=["LF", "CRLF"])
def test_the_sse_sample_decodes_the_same_in_chunks_of_any_size(size: int, newline: bytes) -> None:
    stream = read(SSE_37_FLASH).replace(b"\n", newline)

    assert _decode_in_chunks(stream, size) == _expected_sse_events()


def test_the_sse_sample_events_parse_to_the_answer_and_the_final_usage() -> None:
    first, last = (parse_generate_response(loads_object(e)) for e in _expected_sse_events())

    assert (first.text, first.finish_reason) == ("fixture ok", None)
    assert (last.text, last.finish_reason) == ("", "STOP")
    assert last.usage == Usage(prompt=7, output=2, thoughts=94, total=103)
    assert first.usage == last.usage  # cumulative: the last one is the whole response
    assert {first.response_id, last.response_id} == {"WQuqavG5KbfUjMcPuP_n6QI"}


# --- streaming: chunk files --------------------------------------------------------------------


def _chunks(name: str) -> list[GenerateResponse]:
    lines = read(name).decode("utf-8").splitlines()
    return [parse_generate_response(loads_object(line)) for line in lines]


@pytest.mark.parametrize(
    ("name", "text", "final_usage", "outputs"),
    [
        (
            CHUNKS_3_PRO,
            'There are **3** "r"s in strawberry.\n\nst**r**awbe**rr**y',
            Usage(prompt=9, output=23, thoughts=185, total=217),
            [5, 23, 23],
        ),
        (
            CHUNKS_REASONING,
            'There are **3** "r"s in strawberry.\n\nHere is the breakdown: st**r**awbe**rr**y.',
            Usage(prompt=9, output=29, thoughts=256, total=294),
            [10, 29, 29],
        ),
    ],
)
def test_stream_chunks_join_to_the_text_and_the_last_usage_is_the_total(
    name: str, text: str, final_usage: Usage, outputs: list[int]
) -> None:
    chunks = _chunks(name)

    assert "".join(chunk.text for chunk in chunks) == text
    assert [chunk.usage.output for chunk in chunks] == outputs  # cumulative, never to be summed
    assert chunks[-1].usage == final_usage
    assert [chunk.finish_reason for chunk in chunks] == [None, None, "STOP"]
    assert len({chunk.response_id for chunk in chunks}) == 1


def test_a_blocked_prompt_stream_is_one_chunk_with_a_block_reason() -> None:
    (chunk,) = _chunks(CHUNKS_BLOCKED)

    assert chunk.block_reason == "PROHIBITED_CONTENT"
    assert chunk.candidates == ()
    assert chunk.usage == Usage(prompt=9, total=9)


# --- streaming: the partial Vertex capture -----------------------------------------------------


def _vertex_sse_body() -> bytes:
    """The capture after curl's header block (the lone ``<`` line)."""
    _, body = read(VERTEX_SSE_PARTIAL).split(b"\n<\n", 1)
    return body


def test_the_complete_vertex_event_is_decoded_and_the_truncated_one_is_held_back() -> None:
    decoder = SSEDecoder()

    (event,) = decoder.feed(_vertex_sse_body())

    chunk = parse_generate_response(loads_object(event))
    assert chunk.text == "A"
    assert (chunk.candidates[0].role, chunk.candidates[0].index) == ("model", 0)
    assert chunk.usage == Usage()  # Vertex sends usage on the last chunk only
    assert decoder.pending > 0


def test_the_truncated_vertex_event_is_delivered_by_close_and_is_malformed() -> None:
    decoder = SSEDecoder()
    decoder.feed(_vertex_sse_body())

    (truncated,) = decoder.close()

    assert truncated.startswith('{"nonce": "a9e713", "candidates": [{"content": {"role": "model"')
    assert truncated.endswith('"severity": ...TRUNCATED IN SOURCE...')
    assert decoder.pending == 0
    with pytest.raises(MalformedResponse):
        loads_object(truncated)


# --- sdk-requests: URLs ------------------------------------------------------------------------

GEN, STREAM, COUNT = "generateContent", "streamGenerateContent", "countTokens"
DEV_V1BETA = Endpoint(api_version="v1beta", base_url="")
DEV_V1 = Endpoint(api_version="v1", base_url="")
US_CENTRAL = Endpoint("vertex", "v1beta1", "", project="my-proj", region="us-central1")
GLOBAL = Endpoint("vertex", "v1beta1", "", project="my-proj", region="global")
EXPRESS = Endpoint("vertex", "v1beta1", "")
EUROPE_V1 = Endpoint("vertex", "v1", "", project="my-proj", region="europe-west4")
FLASH = "gemini-2.5-flash"

URL_CASES: dict[tuple[str, int], tuple[Endpoint, str, str]] = {
    (SDK_175, 0): (DEV_V1BETA, FLASH, GEN),
    (SDK_175, 1): (DEV_V1BETA, FLASH, STREAM),
    (SDK_175, 2): (DEV_V1BETA, FLASH, COUNT),
    (SDK_175, 7): (DEV_V1BETA, "gemini-2.0-flash", GEN),
    **{(SDK_175, i): (DEV_V1BETA, FLASH, GEN) for i in (8, 9, 10, 11)},
    (SDK_361, 0): (DEV_V1, FLASH, GEN),
    (SDK_361, 1): (DEV_V1, FLASH, STREAM),
    (SDK_361, 2): (DEV_V1, FLASH, COUNT),
    (SDK_361, 7): (DEV_V1BETA, "gemini-2.0-flash", GEN),
    **{(SDK_361, i): (DEV_V1, FLASH, GEN) for i in (8, 9, 10, 11)},
    (SDK_361_MISC, 0): (Endpoint(api_version="v1", base_url="/proxy/gemini"), FLASH, GEN),
    (SDK_361_MISC, 2): (Endpoint(api_version="v1", base_url="/envbase/"), FLASH, GEN),
    (SDK_361_MISC, 3): (DEV_V1, FLASH, GEN),
    (SDK_361_MISC, 4): (DEV_V1, "tunedModels/my-tuned-1", GEN),
    (SDK_361_MISC, 6): (
        Endpoint("vertex", "v1beta1", "", project="p", region="us-central1"),
        FLASH,
        GEN,
    ),
    (SDK_361_MISC, 7): (DEV_V1, f"models/{FLASH}", GEN),
    (SDK_361_VERTEX, 0): (US_CENTRAL, FLASH, GEN),
    (SDK_361_VERTEX, 1): (US_CENTRAL, FLASH, STREAM),
    (SDK_361_VERTEX, 2): (US_CENTRAL, FLASH, COUNT),
    (SDK_361_VERTEX, 7): (GLOBAL, FLASH, GEN),
    (SDK_361_VERTEX, 8): (GLOBAL, FLASH, STREAM),
    (SDK_361_VERTEX, 9): (GLOBAL, FLASH, COUNT),
    (SDK_361_VERTEX, 12): (EXPRESS, FLASH, GEN),
    (SDK_361_VERTEX, 13): (EXPRESS, FLASH, STREAM),
    (SDK_361_VERTEX, 14): (EXPRESS, FLASH, COUNT),
    (SDK_361_VERTEX, 18): (EUROPE_V1, FLASH, GEN),
    (SDK_361_VERTEX, 19): (EUROPE_V1, FLASH, STREAM),
    (SDK_361_VERTEX, 20): (EUROPE_V1, FLASH, COUNT),
}

NOT_EXPRESSIBLE = {
    (SDK_361_MISC, 1): "ResourceScope.COLLECTION: the base URL replaces version and location",
    (SDK_361_MISC, 5): "a Vertex tuned-model endpoint (endpoints/123), not a publisher model",
    (SDK_361_VERTEX, 17): "base_url-only proxy mode: the SDK posts to the bare base URL",
}

MODEL_CALLS = (":generateContent", ":streamGenerateContent", ":countTokens")


def recorded(name: str) -> list[dict[str, Any]]:
    requests: list[dict[str, Any]] = json.loads(read(name))
    return requests


def _is_model_call(request: dict[str, Any]) -> bool:
    path = request["path_and_query"]
    return request["method"] == "POST" and (path == "/" or any(m in path for m in MODEL_CALLS))


def test_every_recorded_model_call_has_a_url_case_or_a_reason() -> None:
    calls = {
        (name, i)
        for name in (SDK_175, SDK_361, SDK_361_MISC, SDK_361_VERTEX)
        for i, request in enumerate(recorded(name))
        if _is_model_call(request)
    }
    assert calls == set(URL_CASES) | set(NOT_EXPRESSIBLE)
    assert not set(URL_CASES) & set(NOT_EXPRESSIBLE)


@pytest.mark.parametrize(
    ("name", "index"), list(URL_CASES), ids=[f"{n.split('/')[1]}[{i}]" for n, i in URL_CASES]
)
def test_endpoint_builds_the_path_the_sdk_sent(name: str, index: int) -> None:
    endpoint, model, method = URL_CASES[name, index]

    assert endpoint.method_url(model, method) == recorded(name)[index]["path_and_query"]


@pytest.mark.parametrize(
    ("name", "index", "endpoint"),
    [
        (SDK_175, 5, DEV_V1BETA),
        (SDK_361, 5, DEV_V1),
        (SDK_361_VERTEX, 5, US_CENTRAL),
        (SDK_361_VERTEX, 10, GLOBAL),
        (SDK_361_VERTEX, 15, EXPRESS),
        (SDK_361_VERTEX, 21, EUROPE_V1),
    ],
)
def test_models_url_is_the_path_the_sdk_lists_models_at(
    name: str, index: int, endpoint: Endpoint
) -> None:
    request = recorded(name)[index]
    path, _query = request["path_and_query"].split("?")

    assert request["method"] == "GET"
    assert endpoint.models_url() == path


# --- sdk-requests: bodies ----------------------------------------------------------------------

FULL_CONFIG = {
    "system_instruction": {"parts": [{"text": "Be terse."}], "role": "user"},
    "safety_settings": [{"category": "HARM_CATEGORY_HATE_SPEECH", "threshold": "BLOCK_ONLY_HIGH"}],
    "tools": [
        {
            "functionDeclarations": [
                {
                    "description": "w",
                    "name": "get_weather",
                    "parameters": {
                        "properties": {"city": {"type": "STRING"}},
                        "required": ["city"],
                        "type": "OBJECT",
                    },
                }
            ]
        }
    ],
    "generation_config": {
        "temperature": 0.2,
        "topP": 0.9,
        "topK": 40.0,
        "candidateCount": 1,
        "maxOutputTokens": 128,
        "stopSequences": ["END"],
        "presencePenalty": 0.1,
        "frequencyPenalty": 0.1,
        "seed": 7,
        "responseMimeType": "application/json",
        "thinkingConfig": {"include_thoughts": True, "thinking_budget": 1024},
    },
}
NO_THINKING = {"generation_config": {"thinkingConfig": {"thinking_budget": 0}}}

BODY_CASES: dict[tuple[str, int], tuple[str, dict[str, Any]]] = {
    (SDK_175, 0): ("Hi there", FULL_CONFIG),
    (SDK_175, 1): ("stream pls", {}),
    (SDK_175, 2): ("count me", {}),
    **{(SDK_175, i): ("x", {}) for i in (7, 9, 10, 11)},
    (SDK_361, 0): ("Hi there", FULL_CONFIG),
    (SDK_361, 1): ("stream pls", {}),
    (SDK_361, 2): ("count me", {}),
    **{(SDK_361, i): ("x", {}) for i in (7, 9, 10, 11)},
    **{(SDK_361_MISC, i): ("x", {}) for i in (0, 1, 2, 3, 4, 5, 6)},
    **{(SDK_361_VERTEX, i): ("hi", NO_THINKING) for i in (0, 7, 12, 17, 18)},
    **{(SDK_361_VERTEX, i): ("hi", {}) for i in (1, 8, 13, 19)},
    **{(SDK_361_VERTEX, i): ("count me", {}) for i in (2, 9, 14, 20)},
}


@pytest.mark.parametrize(
    ("name", "index"), list(BODY_CASES), ids=[f"{n.split('/')[1]}[{i}]" for n, i in BODY_CASES]
)
def test_build_generate_body_reproduces_the_sdk_body(name: str, index: int) -> None:
    text, options = BODY_CASES[name, index]

    assert build_generate_body(text, **options) == recorded(name)[index]["body"]


@pytest.mark.parametrize("name", [SDK_175, SDK_361])
def test_an_empty_generation_config_is_left_out_where_the_sdk_sends_it(name: str) -> None:
    body = recorded(name)[8]["body"]
    assert body["generationConfig"] == {}

    assert build_generate_body("x", generation_config={}) == {"contents": body["contents"]}


def test_full_contents_with_function_calls_and_inline_data_pass_through_unchanged() -> None:
    """The SDK's snake_case ``inlineData.mime_type`` is sent as it is: gemgate renames nothing."""
    body = recorded(SDK_361_MISC)[7]["body"]
    assert body["contents"][3]["parts"][0]["inlineData"]["mime_type"] == "image/png"

    rebuilt = build_generate_body(body["contents"], generation_config=body["generationConfig"])

    assert rebuilt == body
