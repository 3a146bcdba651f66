"""Fault plans: each action on the wire, and how rules match, count and draw."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aiohttp
import pytest

from gemgate.clock import FakeClock
from gemgate.emulator import EmulatorConfig, FaultPlanError, FaultRule, parse_fault_plan

from .conftest import DEV, KEY, VERTEX, Api, MakeApi, user

BEARER = {"Authorization": "Bearer T"}
OVERLOADED = {
    "error": {
        "code": 503,
        "message": "The model is overloaded. Please try again later.",
        "status": "UNAVAILABLE",
    }
}


async def with_faults(api_for: MakeApi, *rules: FaultRule, **config: Any) -> Api:
    return await api_for(EmulatorConfig(faults=rules, **config))


async def test_a_counted_rule_fails_the_first_n_requests_then_is_spent(api_for: MakeApi) -> None:
    api = await with_faults(api_for, FaultRule("status", status=503, count=3))
    replies = [await api.generate() for _ in range(4)]
    assert [r.status for r in replies] == [503, 503, 503, 200]
    assert replies[0].json == OVERLOADED
    assert api.server.stats()["by_fault"] == {"status": 3}


@pytest.mark.parametrize(
    ("status", "name"),
    [
        (400, "INVALID_ARGUMENT"),
        (401, "UNAUTHENTICATED"),
        (403, "PERMISSION_DENIED"),
        (404, "NOT_FOUND"),
        (429, "RESOURCE_EXHAUSTED"),
        (500, "INTERNAL"),
        (502, "UNAVAILABLE"),
        (503, "UNAVAILABLE"),
        (504, "DEADLINE_EXCEEDED"),
    ],
)
async def test_a_status_rule_sends_the_real_error_body(
    api_for: MakeApi, status: int, name: str
) -> None:
    api = await with_faults(api_for, FaultRule("status", status=status))
    reply = await api.generate()
    assert reply.status == status
    assert reply.headers["Content-Type"] == "application/json; charset=UTF-8"
    error = reply.json["error"]
    assert (error["code"], error["status"]) == (status, name)
    assert "Retry-After" not in reply.headers


async def test_a_404_names_the_model_version_and_method(api_for: MakeApi) -> None:
    api = await with_faults(api_for, FaultRule("status", status=404))
    reply = await api.post(f"{DEV}:countTokens", user("x"))
    assert reply.json["error"]["message"] == (
        "models/gemini-2.5-flash is not found for API version v1beta, or is not supported for "
        "countTokens. Call ListModels to see the list of available models and their supported "
        "methods."
    )


async def test_a_429_rule_carries_its_retry_delay_and_quota_span(api_for: MakeApi) -> None:
    minute = FaultRule("status", status=429, retry_delay_s=2.5, count=1)
    day = FaultRule("status", status=429, retry_delay_s=30, quota="day")
    api = await with_faults(api_for, minute, day, rpm=100)
    first = (await api.generate()).json["error"]["details"]
    assert first[0]["violations"][0]["quotaId"] == "GenerateRequestsPerMinutePerProjectPerModel"
    assert first[0]["violations"][0]["quotaValue"] == "100"
    assert first[2] == {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "2.500s"}
    second = (await api.generate()).json["error"]["details"]
    assert second[0]["violations"][0]["quotaId"] == "GenerateRequestsPerDayPerProjectPerModel"
    assert second[2]["retryDelay"] == "30s"
    assert api.server.stats()["rate_limited"] == 0  # planned 429s are not limit refusals


async def test_rules_match_on_region_model_and_method(api_for: MakeApi) -> None:
    rule = FaultRule("status", status=500, region="us-central1", method="generateContent")
    api = await with_faults(api_for, rule, FaultRule("status", status=502, model="gemini-2.5-pro"))
    vertex_eu = VERTEX.replace("us-central1", "europe-west4")
    assert (await api.post(f"{VERTEX}:generateContent", user("x"), BEARER, None)).status == 500
    assert (await api.post(f"{VERTEX}:countTokens", user("x"), BEARER, None)).status == 200
    assert (await api.post(f"{vertex_eu}:generateContent", user("x"), BEARER, None)).status == 200
    assert (await api.generate()).status == 200  # the Developer API is region "global"
    pro = "/v1beta/models/gemini-2.5-pro:generateContent"
    assert (await api.post(pro, user("x"))).status == 502


async def test_a_probability_rule_draws_from_the_seeded_rng(api_for: MakeApi) -> None:
    rule = FaultRule("status", status=503, probability=0.5)
    runs = []
    for _ in range(2):
        api = await with_faults(api_for, rule, seed=42)
        runs.append([(await api.generate()).status for _ in range(20)])
    assert runs[0] == runs[1]
    assert set(runs[0]) == {200, 503}


async def test_latency_rules_add_up_and_let_the_next_rule_apply(api_for: MakeApi) -> None:
    clock = FakeClock()
    rules = (
        FaultRule("latency", ms=200),
        FaultRule("latency", ms=50, probability=1.0),
        FaultRule("status", status=500, count=1),
    )
    api = await api_for(EmulatorConfig(faults=rules, latency_ms=10), clock)
    assert (await api.generate()).status == 500
    assert (await api.generate()).status == 200
    assert clock.sleeps == [0.01, 0.25, 0.01, 0.25]  # configured latency, then the rules' sum
    assert api.server.stats()["by_fault"] == {"latency": 4, "status": 1}


async def test_hang_never_answers_and_does_not_block_shutdown(api_for: MakeApi) -> None:
    api = await with_faults(api_for, FaultRule("hang"))
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(api.generate(), timeout=0.3)
    pending = asyncio.ensure_future(api.generate())  # still hanging when the server stops
    await asyncio.sleep(0.05)
    began = time.monotonic()
    await api.server.stop()
    assert time.monotonic() - began < 1.0
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await pending
    stats = api.server.stats()
    assert (stats["requests_total"], stats["by_status"]) == (2, {})


async def test_drop_closes_the_connection_without_a_response(api_for: MakeApi) -> None:
    api = await with_faults(api_for, FaultRule("drop", count=1))
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await api.generate()
    assert (await api.generate()).status == 200
    assert api.server.stats()["by_status"] == {"200": 1}


async def test_truncate_cuts_the_body_in_the_middle_of_the_json(api_for: MakeApi) -> None:
    api = await with_faults(api_for, FaultRule("truncate", count=1))
    cut = await api.generate()
    whole = await api.generate()
    assert cut.status == 200
    assert cut.headers["Content-Type"] == "application/json; charset=UTF-8"
    with pytest.raises(json.JSONDecodeError):
        json.loads(cut.text)
    assert whole.text.startswith(cut.text[:40])
    assert len(cut.text) < len(whole.text)


async def test_a_truncated_sse_stream_ends_inside_an_event(api_for: MakeApi) -> None:
    api = await with_faults(api_for, FaultRule("truncate"))
    raw = (await api.post(f"{DEV}:streamGenerateContent?alt=sse", user("x"))).text
    complete, _, tail = raw.rpartition("\r\n\r\n")
    assert json.loads(complete.removeprefix("data: "))["candidates"]
    assert tail.startswith("data: {")
    assert not tail.endswith("}")


async def test_html_sends_a_google_error_page(api_for: MakeApi) -> None:
    api = await with_faults(api_for, FaultRule("html", status=502))
    reply = await api.generate()
    assert reply.status == 502
    assert reply.headers["Content-Type"] == "text/html; charset=UTF-8"
    assert "<title>Error 502 (Server Error)!!1</title>" in reply.text
    assert "That’s an error." in reply.text


async def test_block_is_a_200_with_prompt_feedback_and_no_candidates(api_for: MakeApi) -> None:
    api = await with_faults(api_for, FaultRule("block", reason="PROHIBITED_CONTENT"))
    body = (await api.generate("Hello there")).json
    assert list(body) == ["promptFeedback", "usageMetadata", "modelVersion", "responseId"]
    assert body["promptFeedback"] == {"blockReason": "PROHIBITED_CONTENT"}
    assert body["usageMetadata"] == {
        "promptTokenCount": 2,
        "totalTokenCount": 2,
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 2}],
        "serviceTier": "standard",
    }
    raw = (await api.post(f"{DEV}:streamGenerateContent?alt=sse", user("Hello there"))).text
    assert raw.count("data: ") == 1
    assert '"blockReason": "PROHIBITED_CONTENT"' in raw


async def test_finish_max_tokens_cuts_the_answer(api_for: MakeApi) -> None:
    api = await with_faults(api_for, FaultRule("finish", reason="MAX_TOKENS", count=1))
    cut = (await api.generate()).json["candidates"][0]
    whole = (await api.generate()).json["candidates"][0]
    assert cut["finishReason"] == "MAX_TOKENS"
    assert whole["content"]["parts"][0]["text"].startswith(cut["content"]["parts"][0]["text"])


async def test_finish_safety_has_no_text_and_carries_safety_ratings(api_for: MakeApi) -> None:
    api = await with_faults(api_for, FaultRule("finish", reason="SAFETY"))
    body = (await api.generate()).json
    candidate = body["candidates"][0]
    assert "content" not in candidate
    assert candidate["finishReason"] == "SAFETY"
    assert {
        "category": "HARM_CATEGORY_DANGEROUS_CONTENT",
        "probability": "HIGH",
        "blocked": True,
    } in (candidate["safetyRatings"])
    assert "candidatesTokenCount" not in body["usageMetadata"]


async def test_stream_error_sends_good_chunks_then_an_error_event(api_for: MakeApi) -> None:
    api = await with_faults(api_for, FaultRule("stream_error", after_chunks=2, status=500))
    raw = (await api.post(f"{DEV}:streamGenerateContent?alt=sse", user("x"))).text
    events = [json.loads(e.removeprefix("data: ")) for e in raw.split("\r\n\r\n")[:-1]]
    assert [("error" in e) for e in events] == [False, False, True]
    assert events[2]["error"]["code"] == 500
    assert events[2]["error"]["status"] == "INTERNAL"
    array = (await api.post(f"{DEV}:streamGenerateContent", user("x"))).json
    assert [("error" in e) for e in array] == [False, False, True]


async def test_stream_error_leaves_non_stream_requests_alone(api_for: MakeApi) -> None:
    api = await with_faults(api_for, FaultRule("stream_error", count=1))
    assert (await api.generate()).status == 200
    raw = (await api.post(f"{DEV}:streamGenerateContent?alt=sse", user("x"))).text
    assert '"error": {' in raw  # the counted rule was not spent on the generate call


async def test_error_rate_answers_503_from_the_seeded_rng(api_for: MakeApi) -> None:
    always = await api_for(EmulatorConfig(error_rate=1.0))
    reply = await always.generate()
    assert (reply.status, reply.json) == (503, OVERLOADED)
    assert always.server.stats()["injected_errors"] == 1
    runs = []
    for _ in range(2):
        api = await api_for(EmulatorConfig(error_rate=0.3, seed=3))
        runs.append([(await api.generate()).status for _ in range(20)])
    assert runs[0] == runs[1]
    assert set(runs[0]) == {200, 503}


async def test_fault_answers_are_not_counted_against_limits(api_for: MakeApi) -> None:
    api = await with_faults(api_for, FaultRule("status", status=503, count=2), rpm=1)
    assert [(await api.generate()).status for _ in range(4)] == [503, 503, 200, 429]


async def test_a_plan_can_be_posted_and_replaces_the_old_one(api: Api) -> None:
    plan = {"rules": [{"action": "status", "status": 500, "count": 1}]}
    url = api.server.base_url + "/_emulator/faults"
    async with api.session.post(url, json=plan) as response:
        assert response.status == 200
    assert [(await api.generate()).status for _ in range(2)] == [500, 200]
    api.server.set_faults([{"action": "html", "status": 503}])
    assert (await api.generate()).status == 503


async def test_a_bad_plan_is_refused_with_the_rule_and_key(api: Api) -> None:
    url = api.server.base_url + "/_emulator/faults"
    async with api.session.post(url, json={"rules": [{"action": "status", "sttus": 5}]}) as resp:
        assert resp.status == 400
        message = (await resp.json())["error"]
    assert "rule 0" in message
    assert "sttus" in message


async def test_faults_only_apply_after_authentication(api_for: MakeApi) -> None:
    api = await with_faults(api_for, FaultRule("status", status=500, count=1))
    assert (await api.generate(key=None)).status == 403
    assert (await api.generate(key=KEY)).status == 500


async def test_a_proxys_retry_after_header_can_be_planned(api_for: MakeApi) -> None:
    api = await with_faults(
        api_for,
        FaultRule("html", status=503, retry_after="120", count=1),
        FaultRule("status", status=502, retry_after="Wed, 21 Oct 2026 07:28:00 GMT", count=1),
    )
    first, second, third = [await api.generate() for _ in range(3)]
    assert (first.status, first.headers["Retry-After"]) == (503, "120")
    assert (second.status, second.headers["Retry-After"]) == (502, "Wed, 21 Oct 2026 07:28:00 GMT")
    assert "Retry-After" not in third.headers  # Google's own answers never carry one


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"action": "drop", "retry_after": "5"}, "goes with a status or html"),
        ({"action": "status", "retry_after": "soon"}, "whole seconds or an HTTP date"),
        ({"action": "status", "retry_after": 5}, "whole seconds or an HTTP date"),
    ],
)
def test_a_retry_after_that_cannot_be_sent_is_refused(rule: dict[str, Any], message: str) -> None:
    with pytest.raises(FaultPlanError, match=message):
        parse_fault_plan({"rules": [rule]})
