"""Server-side limits per (credential, model): sliding and fixed windows, exact retry delays.

Most tests drive the emulator's clock (a ``FakeClock``) so that every retry delay is an exact
value; one test checks the delay against real time with a 1 s window.
"""

from __future__ import annotations

import asyncio
from typing import Any

from gemgate.clock import FakeClock
from gemgate.emulator import EmulatorConfig

from .conftest import DEV, VERTEX, Api, MakeApi, user

MESSAGE_HEAD = (
    "You exceeded your current quota, please check your plan and billing details. For more "
    "information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits. "
    "To monitor your current usage, head to: https://ai.dev/usage?tab=rate-limit. \n"
)
HELP = {
    "@type": "type.googleapis.com/google.rpc.Help",
    "links": [
        {
            "description": "Learn more about Gemini API quotas",
            "url": "https://ai.google.dev/gemini-api/docs/rate-limits",
        }
    ],
}


def requests_429(limit: int, delay: str, location: str = "global") -> dict[str, Any]:
    metric = "generativelanguage.googleapis.com/generate_content_paid_tier_requests"
    return {
        "error": {
            "code": 429,
            "message": MESSAGE_HEAD + f"* Quota exceeded for metric: {metric}, limit: {limit}, "
            f"model: gemini-2.5-flash\nPlease retry in {delay}.",
            "status": "RESOURCE_EXHAUSTED",
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                    "violations": [
                        {
                            "quotaMetric": metric,
                            "quotaId": "GenerateRequestsPerMinutePerProjectPerModel",
                            "quotaDimensions": {"location": location, "model": "gemini-2.5-flash"},
                            "quotaValue": str(limit),
                        }
                    ],
                },
                HELP,
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay},
            ],
        }
    }


async def limited(api_for: MakeApi, **config: Any) -> tuple[Api, FakeClock]:
    clock = FakeClock()
    return await api_for(EmulatorConfig(window_s=1.0, **config), clock), clock


async def statuses(api: Api, clock: FakeClock, times: list[float], **kw: Any) -> list[int]:
    """Send one generate request at each clock time; the statuses in order."""
    seen = []
    for at in times:
        clock.advance(at - clock.monotonic())
        seen.append((await api.generate(**kw)).status)
    return seen


async def test_sliding_window_refuses_the_sixth_request_with_the_exact_delay(
    api_for: MakeApi,
) -> None:
    api, clock = await limited(api_for, rpm=5)
    assert await statuses(api, clock, [0, 0.125, 0.25, 0.375, 0.5]) == [200] * 5
    clock.advance(0.125)
    refused = await api.generate()
    assert refused.status == 429
    assert refused.json == requests_429(5, "0.375s")  # the request at t=0 leaves at t=1.0
    assert "Retry-After" not in refused.headers
    assert await statuses(api, clock, [1.0]) == [200]  # refused requests were not counted
    again = await api.generate()
    assert again.json["error"]["details"][2]["retryDelay"] == "0.125s"  # t=0.125 leaves at 1.125


async def test_the_token_limit_counts_input_tokens_in_the_window(api_for: MakeApi) -> None:
    api, clock = await limited(api_for, tpm=10)
    four = {"text": "a b c d"}
    assert await statuses(api, clock, [0, 0.25], **four) == [200, 200]
    clock.advance(0.25)
    refused = (await api.generate("a b c d")).json["error"]
    violation = refused["details"][0]["violations"][0]
    assert violation == {
        "quotaMetric": (
            "generativelanguage.googleapis.com/generate_content_paid_tier_input_token_count"
        ),
        "quotaId": "GenerateContentInputTokensPerModelPerMinute",
        "quotaDimensions": {"location": "global", "model": "gemini-2.5-flash"},
        "quotaValue": "10",
    }
    assert refused["details"][2]["retryDelay"] == "0.500s"
    assert (await api.generate("a b")).status == 200  # 8 + 2 fits exactly


async def test_a_prompt_larger_than_the_token_limit_gets_no_retry_delay(api_for: MakeApi) -> None:
    api, _ = await limited(api_for, tpm=3)
    refused = await api.generate("one two three four")
    assert refused.status == 429
    assert [d["@type"].rsplit(".", 1)[1] for d in refused.json["error"]["details"]] == [
        "QuotaFailure",
        "Help",
    ]


async def test_fixed_windows_reset_on_aligned_boundaries(api_for: MakeApi) -> None:
    api, clock = await limited(api_for, rpm=2, limit_mode="fixed")
    assert await statuses(api, clock, [0.25, 0.5, 0.75, 1.0, 1.25, 1.5]) == [
        200, 200, 429, 200, 200, 429
    ]  # fmt: skip
    clock.advance(0.25)
    assert (await api.generate()).json == requests_429(2, "0.250s")  # until t=2.0
    # Measured on sliding windows: 0.5, 1.0 and 1.25 all lie within one second.
    assert api.server.stats()["max_requests_in_window"] == 3


async def test_limits_are_per_credential_and_model(api_for: MakeApi) -> None:
    api, _ = await limited(api_for, rpm=1)
    assert (await api.generate(key="key-a")).status == 200
    assert (await api.generate(key="key-a")).status == 429
    assert (await api.generate(key="key-b")).status == 200
    other_model = "/v1beta/models/gemini-2.5-pro:generateContent"
    assert (await api.post(other_model, user("x"), key="key-a")).status == 200


async def test_count_tokens_is_not_limited_and_not_counted(api_for: MakeApi) -> None:
    api, _ = await limited(api_for, rpm=1)
    for _ in range(3):
        assert (await api.post(f"{DEV}:countTokens", user("x"))).status == 200
    assert (await api.generate()).status == 200
    assert (await api.generate()).status == 429


async def test_streams_are_limited_and_vertex_names_its_region(api_for: MakeApi) -> None:
    api, _ = await limited(api_for, rpm=1)
    bearer = {"Authorization": "Bearer T"}
    stream = f"{VERTEX}:streamGenerateContent?alt=sse"
    assert (await api.post(stream, user("x"), headers=bearer, key=None)).status == 200
    refused = await api.post(stream, user("x"), headers=bearer, key=None)
    assert refused.status == 429
    assert refused.json == requests_429(1, "1s", location="us-central1")


async def test_stats_report_exact_window_maxima_and_rate_limited(api_for: MakeApi) -> None:
    api, clock = await limited(api_for, rpm=4)
    assert await statuses(api, clock, [0, 0.5, 0.75, 1.0, 1.25, 1.375], text="one two") == [
        200, 200, 200, 200, 200, 429
    ]  # fmt: skip
    stats = api.server.stats()
    assert stats["max_requests_in_window"] == 4  # 0.5, 0.75, 1.0, 1.25
    assert stats["max_tokens_in_window"] == 8
    assert stats["rate_limited"] == 1
    assert stats["admitted_requests"] == 5
    assert stats["by_status"] == {"200": 5, "429": 1}


async def test_the_retry_delay_is_accurate_in_real_time(api_for: MakeApi) -> None:
    api = await api_for(EmulatorConfig(rpm=5, window_s=1.0))
    for _ in range(5):
        assert (await api.generate()).status == 200
    refused = await api.generate()
    delay = float(refused.json["error"]["details"][2]["retryDelay"].removesuffix("s"))
    assert 0.8 < delay <= 1.0
    await asyncio.sleep(delay - 0.15)
    assert (await api.generate()).status == 429  # too early
    early = await api.generate()
    await asyncio.sleep(float(early.json["error"]["details"][2]["retryDelay"].removesuffix("s")))
    assert (await api.generate()).status == 200  # exactly when told
