"""Parsers: lenient where the service varies, strict where a wrong answer would mislead."""

from __future__ import annotations

import pytest

from gemgate.errors import MalformedResponse, TransientError
from gemgate.wire import (
    Candidate,
    CountTokensResponse,
    Usage,
    loads_object,
    parse_count_tokens,
    parse_generate_response,
    parse_usage,
)

FULL_USAGE = {
    "promptTokenCount": 120,
    "candidatesTokenCount": 30,
    "cachedContentTokenCount": 100,
    "thoughtsTokenCount": 50,
    "toolUsePromptTokenCount": 7,
    "totalTokenCount": 207,
}


# --- usage -------------------------------------------------------------------------------------


def test_usage_reads_every_count() -> None:
    assert parse_usage(FULL_USAGE) == Usage(
        prompt=120, output=30, cached=100, thoughts=50, tool_use_prompt=7, total=207
    )


def test_usage_as_dict_names_every_count() -> None:
    assert parse_usage(FULL_USAGE).as_dict() == {
        "prompt": 120,
        "output": 30,
        "cached": 100,
        "thoughts": 50,
        "tool_use_prompt": 7,
        "total": 207,
    }


def test_usage_counts_missing_fields_as_zero() -> None:
    assert parse_usage({"promptTokenCount": 9, "totalTokenCount": 9}) == Usage(prompt=9, total=9)


def test_usage_counts_null_fields_as_zero() -> None:
    meta = {key: None for key in FULL_USAGE} | {"promptTokenCount": 4}

    assert parse_usage(meta) == Usage(prompt=4)


@pytest.mark.parametrize("meta", [None, {}])
def test_absent_usage_is_all_zero(meta: dict[str, object] | None) -> None:
    assert parse_usage(meta) == Usage()


def test_a_response_without_usage_metadata_has_zero_usage() -> None:
    assert parse_generate_response({"candidates": []}).usage == Usage()


def test_a_response_with_null_usage_metadata_has_zero_usage() -> None:
    assert parse_generate_response({"usageMetadata": None}).usage == Usage()


def test_usage_ignores_the_per_modality_details() -> None:
    meta = {
        "promptTokenCount": 9,
        "totalTokenCount": 9,
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 9}],
        "serviceTier": "standard",
    }

    assert parse_usage(meta) == Usage(prompt=9, total=9)


# --- candidates and text -----------------------------------------------------------------------


def _response(*parts: dict[str, object]) -> dict[str, object]:
    return {"candidates": [{"content": {"parts": list(parts), "role": "model"}, "index": 0}]}


def test_text_joins_the_text_parts_in_order() -> None:
    response = parse_generate_response(_response({"text": "Hello, "}, {"text": "world."}))

    assert response.text == "Hello, world."


def test_text_leaves_thought_parts_out_and_thoughts_has_only_them() -> None:
    response = parse_generate_response(
        _response(
            {"text": "Let me count the r's.", "thought": True},
            {"text": "Three."},
            {"text": " Checked twice.", "thought": True},
        )
    )

    assert response.text == "Three."
    assert response.thoughts == "Let me count the r's. Checked twice."


def test_a_part_with_thought_false_is_answer_text() -> None:
    assert parse_generate_response(_response({"text": "Yes.", "thought": False})).text == "Yes."


def test_parts_without_text_add_nothing_to_the_text() -> None:
    call = {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}}

    response = parse_generate_response(_response(call, {"text": "Calling."}))

    assert response.text == "Calling."
    assert response.candidates[0].parts == (call, {"text": "Calling."})


def test_a_candidate_carries_its_finish_reason_role_and_safety_ratings() -> None:
    rating = {"category": "HARM_CATEGORY_HATE_SPEECH", "probability": "NEGLIGIBLE"}
    obj = {
        "candidates": [
            {
                "content": {"role": "model", "parts": [{"text": "ok"}]},
                "finishReason": "MAX_TOKENS",
                "safetyRatings": [rating],
                "index": 0,
            }
        ]
    }

    (candidate,) = parse_generate_response(obj).candidates

    assert candidate == Candidate(
        parts=({"text": "ok"},),
        role="model",
        finish_reason="MAX_TOKENS",
        safety_ratings=(rating,),
        index=0,
    )


def test_a_candidate_without_an_index_takes_its_position() -> None:
    """Vertex leaves ``index`` out."""
    obj = {"candidates": [{"content": {"parts": [{"text": "a"}]}}] * 2}

    first, second = parse_generate_response(obj).candidates

    assert (first.index, second.index) == (0, 1)


def test_the_response_text_is_the_first_candidates() -> None:
    obj = {
        "candidates": [
            {"content": {"parts": [{"text": "first"}]}, "finishReason": "STOP"},
            {"content": {"parts": [{"text": "second"}]}, "finishReason": "MAX_TOKENS"},
        ]
    }

    response = parse_generate_response(obj)

    assert (response.text, response.finish_reason) == ("first", "STOP")


def test_a_candidate_with_null_or_missing_content_has_no_parts() -> None:
    obj = {"candidates": [{"content": None, "finishReason": "SAFETY"}, {"finishReason": "OTHER"}]}

    first, second = parse_generate_response(obj).candidates

    assert (first.parts, first.text, first.finish_reason) == ((), "", "SAFETY")
    assert (second.parts, second.text, second.finish_reason) == ((), "", "OTHER")


@pytest.mark.parametrize("obj", [{}, {"candidates": None}, {"candidates": []}])
def test_a_response_without_candidates_has_empty_text(obj: dict[str, object]) -> None:
    response = parse_generate_response(obj)

    assert (response.candidates, response.text, response.thoughts) == ((), "", "")
    assert response.finish_reason is None


def test_a_block_reason_comes_from_prompt_feedback() -> None:
    response = parse_generate_response({"promptFeedback": {"blockReason": "SAFETY"}})

    assert response.block_reason == "SAFETY"


def test_null_prompt_feedback_is_no_block() -> None:
    assert parse_generate_response({"promptFeedback": None}).block_reason is None


def test_the_raw_json_is_kept_but_not_compared() -> None:
    obj = {"candidates": [], "createTime": "2025-08-11T23:24:04.843818Z"}

    response = parse_generate_response(obj)

    assert response.raw is obj
    assert response == parse_generate_response({"candidates": []})


# --- countTokens -------------------------------------------------------------------------------


def test_count_tokens_reads_the_total() -> None:
    assert parse_count_tokens({"totalTokens": 31}) == CountTokensResponse(total_tokens=31)


def test_count_tokens_reads_cached_tokens() -> None:
    response = parse_count_tokens({"totalTokens": 31, "cachedContentTokenCount": 20})

    assert (response.total_tokens, response.cached_tokens) == (31, 20)


def test_count_tokens_without_a_total_counts_zero() -> None:
    assert parse_count_tokens({}).total_tokens == 0


# --- loads_object ------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [b'{"a": 1}', '{"a": 1}'], ids=["bytes", "str"])
def test_loads_object_decodes_a_json_object(body: bytes | str) -> None:
    assert loads_object(body) == {"a": 1}


@pytest.mark.parametrize(
    "body",
    [b"", b"<html>502 Bad Gateway</html>", b'{"candidates": [', b"\xff\xfe{", b"{'a': 1}"],
    ids=["empty", "html", "truncated", "not-utf8", "python-repr"],
)
def test_loads_object_of_non_json_is_a_malformed_response(body: bytes) -> None:
    with pytest.raises(MalformedResponse) as caught:
        loads_object(body, status=200)

    assert caught.value.status == 200
    assert caught.value.message == f"HTTP 200 body is not valid JSON ({len(body)} bytes)"
    assert isinstance(caught.value.__cause__, ValueError)


@pytest.mark.parametrize("body", [b"[]", b'[{"candidates": []}]', b"null", b"42", b'"text"'])
def test_loads_object_of_json_that_is_not_an_object_is_a_malformed_response(body: bytes) -> None:
    with pytest.raises(MalformedResponse) as caught:
        loads_object(body, status=201)

    assert caught.value.status == 201
    assert caught.value.message == "HTTP 201 body is not a JSON object"


def test_a_malformed_response_is_worth_retrying() -> None:
    with pytest.raises(TransientError) as caught:
        loads_object(b"[")

    assert caught.value.retryable is True
