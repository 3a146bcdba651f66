"""The ``/_emulator/`` endpoints and their Python twins on ``EmulatorServer``."""

from __future__ import annotations

from gemgate.emulator import EmulatorConfig, FaultRule

from .conftest import DEV, VERTEX, Api, MakeApi, user


async def control(api: Api, method: str, name: str) -> dict[str, object]:
    url = f"{api.server.base_url}/_emulator/{name}"
    async with api.session.request(method, url) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "application/json; charset=UTF-8"
        result: dict[str, object] = await response.json()
        return result


async def test_stats_count_by_status_region_and_method(api_for: MakeApi) -> None:
    api = await api_for(EmulatorConfig(faults=(FaultRule("status", status=503, count=1),)))
    await api.generate()
    await api.generate()
    await api.post(f"{VERTEX}:countTokens", user("x"), {"Authorization": "Bearer T"}, None)
    await api.generate(key=None)
    stats = await control(api, "GET", "stats")
    assert stats == api.server.stats()
    assert stats["requests_total"] == 4
    assert stats["by_status"] == {"200": 2, "403": 1, "503": 1}
    assert stats["by_region"] == {"global": 3, "us-central1": 1}
    assert stats["by_method"] == {"countTokens": 1, "generateContent": 3}
    assert stats["by_fault"] == {"status": 1}
    assert stats["rate_limited"] == 0
    assert stats["admitted_requests"] == 1
    assert stats["max_requests_in_window"] == 1
    assert stats["max_tokens_in_window"] == 2  # "Hello there"


async def test_control_requests_are_not_counted_as_api_requests(api: Api) -> None:
    await control(api, "GET", "stats")
    await control(api, "POST", "reset")
    assert api.server.stats()["requests_total"] == 0


async def test_reset_clears_counters_limits_and_faults(api_for: MakeApi) -> None:
    api = await api_for(EmulatorConfig(rpm=1, faults=(FaultRule("latency", ms=1),)))
    assert (await api.generate()).status == 200
    assert (await api.generate()).status == 429
    assert await control(api, "POST", "reset") == {"reset": True}
    stats = api.server.stats()
    assert (stats["requests_total"], stats["by_status"], stats["rate_limited"]) == (0, {}, 0)
    assert stats["max_requests_in_window"] == 0
    assert (await api.generate()).status == 200  # the window was emptied
    assert api.server.stats()["by_fault"] == {}  # and the plan cleared


async def test_reset_reseeds_so_answers_repeat_exactly(api: Api) -> None:
    first = (await api.post(f"{DEV}:generateContent", user("x"))).json
    api.server.reset()
    assert (await api.post(f"{DEV}:generateContent", user("x"))).json == first
