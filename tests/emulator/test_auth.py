"""Credentials: answered like the service, and never echoed anywhere."""

from __future__ import annotations

from gemgate.emulator import EmulatorConfig

from .conftest import DEV, EXPRESS, VERTEX, Api, MakeApi, user

# errors/400-invalid-argument-api-key-invalid.json, byte for byte in values and key order.
API_KEY_INVALID = {
    "error": {
        "code": 400,
        "message": "API key not valid. Please pass a valid API key.",
        "status": "INVALID_ARGUMENT",
        "details": [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "API_KEY_INVALID",
                "domain": "googleapis.com",
                "metadata": {"service": "generativelanguage.googleapis.com"},
            },
            {
                "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
                "locale": "en-US",
                "message": "API key not valid. Please pass a valid API key.",
            },
        ],
    }
}
UNREGISTERED = {
    "error": {
        "code": 403,
        "message": "Method doesn't allow unregistered callers (callers without established "
        "identity). Please use API Key or other form of API consumer identity to call this API.",
        "status": "PERMISSION_DENIED",
    }
}


async def test_no_credential_is_403_permission_denied(api: Api) -> None:
    reply = await api.generate(key=None)
    assert reply.status == 403
    assert reply.json == UNREGISTERED
    assert reply.headers["Content-Type"] == "application/json; charset=UTF-8"
    assert reply.text.startswith('{\n  "error": {\n    "code": 403,')
    assert "Retry-After" not in reply.headers


async def test_a_bad_key_is_400_api_key_invalid(api_for: MakeApi) -> None:
    api = await api_for(EmulatorConfig(bad_keys=("revoked-key",)))
    reply = await api.generate(key="revoked-key")
    assert reply.status == 400
    assert reply.json == API_KEY_INVALID
    assert list(reply.json["error"]) == ["code", "message", "status", "details"]
    assert "revoked-key" not in reply.text


async def test_only_listed_keys_are_valid_when_a_list_is_given(api_for: MakeApi) -> None:
    api = await api_for(EmulatorConfig(api_keys=("good-1", "good-2")))
    assert (await api.generate(key="good-2")).status == 200
    stranger = await api.generate(key="stranger")
    assert (stranger.status, stranger.json) == (400, API_KEY_INVALID)
    assert (await api.post(f"{DEV}:countTokens?key=stranger", user("x"), key=None)).status == 400


async def test_a_bad_key_on_express_mode_names_the_vertex_service(api_for: MakeApi) -> None:
    api = await api_for(EmulatorConfig(bad_keys=("revoked-key",)))
    reply = await api.post(f"{EXPRESS}:generateContent", user("x"), key="revoked-key")
    assert reply.status == 400
    assert reply.json["error"]["details"][0]["metadata"] == {"service": "aiplatform.googleapis.com"}


async def test_vertex_without_a_credential_is_401_credentials_missing(api: Api) -> None:
    reply = await api.post(f"{VERTEX}:generateContent", user("x"), key=None)
    assert reply.status == 401
    error = reply.json["error"]
    assert (error["code"], error["status"]) == (401, "UNAUTHENTICATED")
    assert error["details"][0]["reason"] == "CREDENTIALS_MISSING"


async def test_an_api_key_on_a_vertex_project_path_is_refused(api: Api) -> None:
    reply = await api.post(f"{VERTEX}:generateContent", user("x"))
    assert reply.status == 401
    assert reply.json["error"]["message"].startswith("API keys are not supported by this API.")


async def test_a_bearer_token_listed_as_bad_is_401(api_for: MakeApi) -> None:
    api = await api_for(EmulatorConfig(bad_keys=("expired-token",)))
    bearer = {"Authorization": "Bearer expired-token"}
    reply = await api.post(f"{VERTEX}:generateContent", user("x"), headers=bearer, key=None)
    assert reply.status == 401
    assert reply.json["error"]["status"] == "UNAUTHENTICATED"


async def test_stats_and_repr_never_show_a_credential(api_for: MakeApi) -> None:
    api = await api_for(EmulatorConfig(api_keys=("sekret-key-123",), bad_keys=("bad-key-456",)))
    await api.generate(key="sekret-key-123")
    await api.generate(key="bad-key-456")
    bearer = {"Authorization": "Bearer tok-789"}
    await api.post(f"{VERTEX}:generateContent", user("x"), headers=bearer, key=None)
    async with api.session.get(api.server.base_url + "/_emulator/stats") as response:
        shown = await response.text()
    shown += repr(api.server.config)
    for secret in ("sekret-key-123", "bad-key-456", "tok-789"):
        assert secret not in shown
    assert len(api.server.stats()["by_credential"]) == 2  # accepted credentials, fingerprinted
