"""Answers: the service's shapes, real usage arithmetic, and determinism for a seed."""

from __future__ import annotations

import re
from typing import Any

from gemgate.emulator import EmulatorConfig

from .conftest import DEV, EXPRESS, VERTEX, Api, MakeApi, user

BEARER = {"Authorization": "Bearer T"}


def tokens(text: str) -> int:
    """The documented estimate: a run of up to 10 word characters, or one other non-space."""
    return len(re.findall(r"\w{1,10}|[^\w\s]", text))


def with_config(text: str, **generation_config: Any) -> dict[str, Any]:
    return {**user(text), "generationConfig": generation_config}


async def test_a_developer_answer_has_the_services_shape_and_key_order(api: Api) -> None:
    reply = await api.generate("Hello there, how are you?")
    assert reply.status == 200
    assert reply.headers["Content-Type"] == "application/json; charset=UTF-8"
    assert reply.text.startswith('{\n  "candidates": [\n')  # pretty-printed, 2-space indent
    body = reply.json
    assert list(body) == ["candidates", "usageMetadata", "modelVersion", "responseId"]
    candidate = body["candidates"][0]
    assert list(candidate) == ["content", "finishReason", "index"]
    assert list(candidate["content"]) == ["parts", "role"]
    assert candidate["content"]["role"] == "model"
    assert (candidate["finishReason"], candidate["index"]) == ("STOP", 0)
    text = candidate["content"]["parts"][0]["text"]
    assert 3 <= text.count(". ") + 1 <= 6  # several sentences
    assert body["usageMetadata"] == {
        "promptTokenCount": 7,
        "candidatesTokenCount": tokens(text),
        "totalTokenCount": 7 + tokens(text),
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 7}],
        "serviceTier": "standard",
    }
    assert body["modelVersion"] == "gemini-2.5-flash"
    assert re.fullmatch(r"[A-Za-z0-9_-]{23}", body["responseId"])


async def test_a_vertex_answer_puts_role_first_and_has_create_time(api: Api) -> None:
    reply = await api.post(f"{VERTEX}:generateContent", user("Hi"), headers=BEARER, key=None)
    body = reply.json
    assert list(body) == ["candidates", "usageMetadata", "modelVersion", "createTime", "responseId"]
    candidate = body["candidates"][0]
    assert list(candidate) == ["content", "finishReason", "avgLogprobs"]
    assert list(candidate["content"]) == ["role", "parts"]
    out = tokens(candidate["content"]["parts"][0]["text"])
    assert body["usageMetadata"] == {
        "promptTokenCount": 1,
        "candidatesTokenCount": out,
        "totalTokenCount": 1 + out,
        "trafficType": "ON_DEMAND",
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 1}],
        "candidatesTokensDetails": [{"modality": "TEXT", "tokenCount": out}],
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", body["createTime"])


async def test_max_output_tokens_cuts_the_text_and_says_max_tokens(api: Api) -> None:
    full = (await api.generate("Tell me more")).json["candidates"][0]["content"]["parts"][0]
    body = with_config("Tell me more", maxOutputTokens=5)
    reply = (await api.post(f"{DEV}:generateContent", body)).json
    candidate = reply["candidates"][0]
    cut = candidate["content"]["parts"][0]["text"]
    assert candidate["finishReason"] == "MAX_TOKENS"
    assert full["text"].startswith(cut)
    assert tokens(cut) == 5
    assert reply["usageMetadata"]["candidatesTokenCount"] == 5
    assert reply["usageMetadata"]["totalTokenCount"] == 3 + 5


async def test_a_generous_max_output_tokens_changes_nothing(api: Api) -> None:
    plain = (await api.generate("Tell me more")).json["candidates"][0]
    roomy = with_config("Tell me more", maxOutputTokens=10_000)
    candidate = (await api.post(f"{DEV}:generateContent", roomy)).json["candidates"][0]
    assert candidate == plain


async def test_thinking_adds_thoughts_to_the_total_and_accepts_snake_case(api: Api) -> None:
    body = with_config("Think first", thinkingConfig={"thinking_budget": 40})
    reply = (await api.post(f"{DEV}:generateContent", body)).json
    usage = reply["usageMetadata"]
    assert usage["thoughtsTokenCount"] == 40  # the emulator thinks 64..511 tokens, capped by budget
    assert usage["totalTokenCount"] == (
        usage["promptTokenCount"] + usage["candidatesTokenCount"] + usage["thoughtsTokenCount"]
    )
    assert list(usage) == [
        "promptTokenCount",
        "candidatesTokenCount",
        "totalTokenCount",
        "promptTokensDetails",
        "thoughtsTokenCount",
        "serviceTier",
    ]
    assert "thoughtSignature" in reply["candidates"][0]["content"]["parts"][0]


async def test_include_thoughts_returns_a_thought_part_first(api: Api) -> None:
    body = with_config("Think", thinkingConfig={"includeThoughts": True, "thinkingBudget": 300})
    parts = (await api.post(f"{DEV}:generateContent", body)).json["candidates"][0]["content"]
    assert parts["parts"][0]["thought"] is True
    assert "thought" not in parts["parts"][1]


async def test_a_zero_thinking_budget_means_no_thinking(api: Api) -> None:
    body = with_config("No thinking", thinkingConfig={"thinking_budget": 0})
    usage = (await api.post(f"{DEV}:generateContent", body)).json["usageMetadata"]
    assert "thoughtsTokenCount" not in usage


async def test_count_tokens_agrees_with_prompt_token_count(api: Api) -> None:
    body = {
        "systemInstruction": {"parts": [{"text": "Be terse."}]},
        "contents": [
            {"role": "user", "parts": [{"text": "weather in Paris?"}]},
            {
                "role": "user",
                "parts": [{"inlineData": {"data": "iVBORw==", "mime_type": "image/png"}}],
            },
        ],
    }
    counted = (await api.post(f"{DEV}:countTokens", body)).json
    generated = (await api.post(f"{DEV}:generateContent", body)).json["usageMetadata"]
    details = [{"modality": "TEXT", "tokenCount": 7}, {"modality": "IMAGE", "tokenCount": 258}]
    assert counted == {"totalTokens": 265, "promptTokensDetails": details}
    assert generated["promptTokenCount"] == 3 + 4 + 258  # "Be terse." + "weather in Paris?"
    assert generated["promptTokensDetails"] == details


async def test_count_tokens_accepts_a_wrapped_generate_request(api: Api) -> None:
    body = {"generateContentRequest": {"model": "models/gemini-2.5-flash", **user("one two")}}
    assert (await api.post(f"{DEV}:countTokens", body)).json["totalTokens"] == 2


async def test_vertex_count_tokens_also_reports_billable_characters(api: Api) -> None:
    reply = await api.post(f"{EXPRESS}:countTokens", user("count me"))
    assert reply.json == {
        "totalTokens": 2,
        "totalBillableCharacters": 7,
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 2}],
    }


async def test_answers_are_deterministic_for_a_seed_and_a_request(api_for: MakeApi) -> None:
    first, twin, other_seed = (
        await api_for(EmulatorConfig(seed=7)),
        await api_for(EmulatorConfig(seed=7)),
        await api_for(EmulatorConfig(seed=8)),
    )
    a = (await first.generate("same prompt")).json
    b = (await twin.generate("same prompt")).json
    assert a == b  # the whole body, responseId included, for the same request sequence
    again = (await first.generate("same prompt")).json
    assert again["candidates"] == a["candidates"]
    assert again["responseId"] != a["responseId"]
    different = (await other_seed.generate("same prompt")).json
    assert different["candidates"] != a["candidates"]
    other_prompt = (await first.generate("another prompt")).json
    assert other_prompt["candidates"] != a["candidates"]


async def test_a_request_without_contents_is_invalid(api: Api) -> None:
    reply = await api.post(f"{DEV}:generateContent", {"contents": []})
    assert reply.status == 400
    assert reply.json == {
        "error": {
            "code": 400,
            "message": "* GenerateContentRequest.contents: contents is not specified\n",
            "status": "INVALID_ARGUMENT",
        }
    }


async def test_a_body_that_is_not_json_is_invalid(api: Api) -> None:
    url = api.server.base_url + f"{DEV}:generateContent"
    headers = {"x-goog-api-key": "k", "Content-Type": "application/json"}
    async with api.session.post(url, data=b"{not json", headers=headers) as response:
        assert response.status == 400
        assert (await response.json())["error"]["status"] == "INVALID_ARGUMENT"
