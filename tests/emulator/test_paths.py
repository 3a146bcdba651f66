"""Every path family the service has, and the region each one implies."""

from __future__ import annotations

import pytest

from .conftest import DEV, EXPRESS, KEY, VERTEX, Api, user

VERTEX_EU = "/v1beta1/projects/p/locations/europe-west4/publishers/google/models/gemini-2.5-pro"


@pytest.mark.parametrize(
    ("path", "headers", "key", "region", "model"),
    [
        ("/v1/models/gemini-2.5-flash", None, KEY, "global", "gemini-2.5-flash"),
        ("/v1beta/models/gemini-2.5-flash", None, KEY, "global", "gemini-2.5-flash"),
        ("/v1/tunedModels/my-tuned-1", None, KEY, "global", "tunedModels/my-tuned-1"),
        (VERTEX, {"Authorization": "Bearer T"}, None, "us-central1", "gemini-2.5-flash"),
        (VERTEX_EU, {"Authorization": "Bearer T"}, None, "europe-west4", "gemini-2.5-pro"),
        (EXPRESS, None, KEY, "global", "gemini-2.5-flash"),
        ("/v1/publishers/google/models/gemini-2.5-flash", None, KEY, "global", "gemini-2.5-flash"),
    ],
)
async def test_generate_is_served_on_each_path_family(
    api: Api, path: str, headers: dict[str, str] | None, key: str | None, region: str, model: str
) -> None:
    reply = await api.post(f"{path}:generateContent", user("Hi"), headers=headers, key=key)
    assert reply.status == 200
    assert reply.json["modelVersion"] == model
    stats = api.server.stats()
    assert stats["by_region"] == {region: 1}
    assert stats["by_model"] == {model: 1}
    assert stats["by_method"] == {"generateContent": 1}


async def test_the_key_may_come_in_the_query_string(api: Api) -> None:
    reply = await api.post(f"{DEV}:generateContent?key={KEY}", user("Hi"), key=None)
    assert reply.status == 200


async def test_each_model_method_is_served_on_vertex(api: Api) -> None:
    bearer = {"Authorization": "Bearer T"}
    for method in ("generateContent", "streamGenerateContent", "countTokens"):
        reply = await api.post(f"{VERTEX}:{method}", user("Hi"), headers=bearer, key=None)
        assert reply.status == 200, method
    assert api.server.stats()["by_method"] == {
        "countTokens": 1,
        "generateContent": 1,
        "streamGenerateContent": 1,
    }


async def test_models_list_pages_with_page_size_and_token(api: Api) -> None:
    first = (await api.get("/v1beta/models?pageSize=4")).json
    assert [m["name"] for m in first["models"]] == [
        "models/gemini-2.5-pro",
        "models/gemini-2.5-flash",
        "models/gemini-2.5-flash-lite",
        "models/gemini-3-pro-preview",
    ]
    second = (await api.get(f"/v1beta/models?pageSize=4&pageToken={first['nextPageToken']}")).json
    assert [m["name"] for m in second["models"]] == [
        "models/gemini-3-flash-preview",
        "models/gemini-embedding-001",
    ]
    assert "nextPageToken" not in second


async def test_models_get_answers_for_any_id(api: Api) -> None:
    reply = await api.get("/v1/models/gemini-9-ultra")
    assert reply.status == 200
    model = reply.json
    assert model["name"] == "models/gemini-9-ultra"
    assert model["supportedGenerationMethods"] == ["generateContent", "countTokens"]
    assert api.server.stats()["by_method"] == {"getModel": 1}


async def test_vertex_publisher_models_are_listed_and_got(api: Api) -> None:
    listed = (await api.get("/v1beta1/publishers/google/models?pageSize=2")).json
    assert [m["name"] for m in listed["publisherModels"]] == [
        "publishers/google/models/gemini-2.5-pro",
        "publishers/google/models/gemini-2.5-flash",
    ]
    got = (await api.get("/v1/publishers/google/models/gemini-2.5-flash")).json
    assert got["name"] == "publishers/google/models/gemini-2.5-flash"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1beta/models/gemini-2.5-flash:embedContent"),
        ("POST", "/v2/models/gemini-2.5-flash:generateContent"),
        ("GET", "/v1beta/models/gemini-2.5-flash:generateContent"),
        ("GET", "/"),
        ("DELETE", "/v1beta/models/gemini-2.5-flash"),
    ],
)
async def test_an_unknown_path_is_googles_404_page(api: Api, method: str, path: str) -> None:
    url = api.server.base_url + path
    async with api.session.request(method, url, headers={"x-goog-api-key": KEY}) as response:
        assert response.status == 404
        assert response.headers["Content-Type"] == "text/html; charset=UTF-8"
        assert "That’s an error." in await response.text()
    assert api.server.stats()["by_status"] == {"404": 1}
