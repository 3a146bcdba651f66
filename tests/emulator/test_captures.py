"""The emulator against real captures: the SDK's recorded requests and the service's error bodies.

The captures live in ``tests/wire/samples`` (see its ``SOURCES.md``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from gemgate.emulator import EmulatorConfig, FaultRule

from .conftest import DEV, Api, MakeApi

SAMPLES = Path(__file__).resolve().parents[1] / "wire" / "samples"
SERVED = re.compile(
    r"/v1(beta1?)?/((models|tunedModels)/[\w.-]+|(projects/[\w-]+/locations/[\w-]+/)?"
    r"publishers/google/models/[\w.-]+):(generateContent|streamGenerateContent|countTokens)"
    r"|/v1(beta1?)?/(models|publishers/google/models)(/[\w.-]+)?"
)

pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"no captures at {SAMPLES}")


def recorded(name: str) -> list[dict[str, Any]]:
    requests: list[dict[str, Any]] = json.loads((SAMPLES / "sdk-requests" / name).read_text())
    return requests


def sample(name: str) -> Any:
    return json.loads((SAMPLES / "errors" / name).read_text())


@pytest.mark.parametrize(
    "name", ["sdk361-apikey.json", "sdk1750-apikey.json", "sdk361-vertex.json", "sdk361-misc.json"]
)
async def test_every_recorded_sdk_request_is_served_or_refused_like_the_service(
    api: Api, name: str
) -> None:
    for entry in recorded(name):
        path = entry["path_and_query"].split("?", 1)[0]
        headers = {k: v for k, v in entry["headers"].items() if k.lower() != "content-length"}
        url = api.server.base_url + entry["path_and_query"]
        body = json.dumps(entry["body"]).encode() if entry["body"] is not None else None
        async with api.session.request(entry["method"], url, data=body, headers=headers) as r:
            expected = 200 if SERVED.fullmatch(path) else 404
            assert r.status == expected, (entry["method"], entry["path_and_query"], r.status)


async def test_error_bodies_equal_the_captures(api_for: MakeApi) -> None:
    rules = (FaultRule("status", status=500, count=1), FaultRule("status", status=503, count=1))
    api = await api_for(EmulatorConfig(faults=rules, bad_keys=("bad",)))
    assert (await api.generate()).json == sample("500-internal.json")
    assert (await api.generate()).json == sample("503-unavailable-overloaded.json")
    assert (await api.generate(key="bad")).json == sample(
        "400-invalid-argument-api-key-invalid.json"
    )
    assert (await api.generate(key=None)).json == sample(
        "403-permission-denied-unregistered-callers.json"
    )
    path = "/v1beta1/projects/p/locations/us-central1/publishers/google/models/m:generateContent"
    vertex = await api.post(path, {"contents": [{"parts": [{"text": "x"}]}]})
    assert vertex.json == sample("vertex-401-unauthenticated-api-key-not-supported.json")
    not_found = FaultRule("status", status=404)
    api.server.set_faults([not_found])
    reply = await api.post(DEV.replace("gemini-2.5-flash", "gemini-pro") + ":generateContent", {})
    assert reply.json == sample("404-not-found-model.json")
