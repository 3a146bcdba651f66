"""Endpoint: the URL of every call, on the Developer API and on Vertex AI."""

from __future__ import annotations

import pytest

from gemgate.wire import DEVELOPER_API_BASE, Endpoint, model_id

DEV = "https://generativelanguage.googleapis.com"
FLASH = "gemini-2.5-flash"


def test_the_developer_api_defaults_to_v1beta_on_googles_host() -> None:
    assert DEVELOPER_API_BASE == DEV
    assert Endpoint().method_url(FLASH, "generateContent") == (
        f"{DEV}/v1beta/models/gemini-2.5-flash:generateContent"
    )


def test_the_developer_api_version_is_a_path_segment() -> None:
    url = Endpoint(api_version="v1").method_url(FLASH, "countTokens")

    assert url == f"{DEV}/v1/models/gemini-2.5-flash:countTokens"


def test_streaming_asks_for_server_sent_events() -> None:
    url = Endpoint().method_url(FLASH, "streamGenerateContent")

    assert url == f"{DEV}/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"


@pytest.mark.parametrize("method", ["generateContent", "countTokens", "embedContent"])
def test_only_streaming_has_a_query(method: str) -> None:
    assert "?" not in Endpoint().method_url(FLASH, method)


@pytest.mark.parametrize("model", [FLASH, f"models/{FLASH}", f"publishers/google/models/{FLASH}"])
def test_a_model_name_prefix_is_not_doubled(model: str) -> None:
    assert Endpoint().method_url(model, "generateContent") == (
        f"{DEV}/v1beta/models/gemini-2.5-flash:generateContent"
    )


def test_a_tuned_model_keeps_its_collection() -> None:
    url = Endpoint().method_url("tunedModels/my-tuned-1", "generateContent")

    assert url == f"{DEV}/v1beta/tunedModels/my-tuned-1:generateContent"


def test_vertex_in_a_region_uses_the_regional_host_and_the_project_path() -> None:
    endpoint = Endpoint("vertex", "v1", project="my-proj", region="europe-west4")

    assert endpoint.method_url(f"models/{FLASH}", "generateContent") == (
        "https://europe-west4-aiplatform.googleapis.com/v1/projects/my-proj/locations/"
        "europe-west4/publishers/google/models/gemini-2.5-flash:generateContent"
    )


def test_vertex_global_uses_the_host_without_a_region() -> None:
    endpoint = Endpoint("vertex", "v1beta1", project="my-proj", region="global")

    assert endpoint.method_url(FLASH, "streamGenerateContent") == (
        "https://aiplatform.googleapis.com/v1beta1/projects/my-proj/locations/global/"
        "publishers/google/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
    )


def test_vertex_express_mode_has_no_project_in_the_path() -> None:
    endpoint = Endpoint("vertex", "v1beta1")

    assert endpoint.method_url(FLASH, "countTokens") == (
        "https://aiplatform.googleapis.com/v1beta1/publishers/google/models/"
        "gemini-2.5-flash:countTokens"
    )


@pytest.mark.parametrize(
    "base_url", ["http://127.0.0.1:8080", "http://127.0.0.1:8080/"], ids=["bare", "slash"]
)
def test_a_base_url_replaces_the_host(base_url: str) -> None:
    url = Endpoint(base_url=base_url).method_url(FLASH, "generateContent")

    assert url == "http://127.0.0.1:8080/v1beta/models/gemini-2.5-flash:generateContent"


def test_a_base_url_may_carry_a_path_prefix() -> None:
    url = Endpoint(api_version="v1", base_url="https://proxy.example/gemini/").method_url(
        FLASH, "generateContent"
    )

    assert url == "https://proxy.example/gemini/v1/models/gemini-2.5-flash:generateContent"


def test_a_base_url_replaces_the_vertex_host_but_keeps_the_vertex_path() -> None:
    endpoint = Endpoint("vertex", "v1", "http://127.0.0.1:8080", "p", "us-central1")

    assert endpoint.method_url(FLASH, "generateContent") == (
        "http://127.0.0.1:8080/v1/projects/p/locations/us-central1/publishers/google/models/"
        "gemini-2.5-flash:generateContent"
    )


def test_an_empty_base_url_gives_the_path_alone() -> None:
    url = Endpoint(base_url="").method_url(FLASH, "streamGenerateContent")

    assert url == "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"


@pytest.mark.parametrize(
    ("endpoint", "url"),
    [
        (Endpoint(), f"{DEV}/v1beta/models"),
        (Endpoint(api_version="v1", base_url=""), "/v1/models"),
        (
            Endpoint("vertex", "v1", project="p", region="us-central1"),
            "https://us-central1-aiplatform.googleapis.com/v1/publishers/google/models",
        ),
        (
            Endpoint("vertex", "v1beta1"),
            "https://aiplatform.googleapis.com/v1beta1/publishers/google/models",
        ),
    ],
    ids=["developer", "path-only", "vertex-region", "vertex-express"],
)
def test_models_url_lists_the_models_of_the_api(endpoint: Endpoint, url: str) -> None:
    assert endpoint.models_url() == url


@pytest.mark.parametrize(("region", "name"), [("global", "global"), ("us-central1", "us-central1")])
def test_the_name_of_an_endpoint_is_its_region(region: str, name: str) -> None:
    assert Endpoint("vertex", region=region).name == name


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("gemini-2.5-flash", "gemini-2.5-flash"),
        ("models/gemini-2.5-flash", "gemini-2.5-flash"),
        ("publishers/google/models/gemini-2.5-flash", "gemini-2.5-flash"),
        ("tunedModels/my-tuned-1", "tunedModels/my-tuned-1"),
    ],
)
def test_model_id_strips_the_collection_of_a_base_model(model: str, expected: str) -> None:
    assert model_id(model) == expected
