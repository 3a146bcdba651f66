"""The official google-genai SDK, unmodified, against a `gemgate emulator` process.

Only ``http_options.base_url`` changes; API-key mode, Vertex mode with an access token, and
Vertex express mode (an API key) each generate, stream and count tokens.
"""

from __future__ import annotations

from google import genai
from google.genai import types
from google.oauth2.credentials import Credentials

from .conftest import Emulator

MODEL = "gemini-2.5-flash"
PROMPT = "Name three things a rate limiter does."


def exercise(client: genai.Client) -> None:
    response = client.models.generate_content(model=MODEL, contents=PROMPT)
    usage = response.usage_metadata
    assert response.text
    assert usage is not None
    assert usage.prompt_token_count
    chunks = list(client.models.generate_content_stream(model=MODEL, contents=PROMPT))
    assert len(chunks) > 1
    assert "".join(c.text or "" for c in chunks)
    last = chunks[-1].usage_metadata
    assert last is not None
    assert last.prompt_token_count == usage.prompt_token_count
    counted = client.models.count_tokens(model=MODEL, contents=PROMPT)
    assert counted.total_tokens == usage.prompt_token_count


def test_api_key_mode(emulator: Emulator) -> None:
    client = genai.Client(api_key="sdk-key", http_options=types.HttpOptions(base_url=emulator.url))
    exercise(client)
    stats = emulator.stats()
    assert stats["by_method"] == {
        "generateContent": 1,
        "streamGenerateContent": 1,
        "countTokens": 1,
    }
    assert stats["by_region"] == {"global": 3}


def test_vertex_mode_with_an_access_token(emulator: Emulator) -> None:
    client = genai.Client(
        vertexai=True,
        project="my-proj",
        location="europe-west1",
        credentials=Credentials(token="access-token"),  # type: ignore[no-untyped-call]
        http_options=types.HttpOptions(base_url=emulator.url),
    )
    exercise(client)
    assert emulator.stats()["by_region"] == {"europe-west1": 3}


def test_vertex_express_mode_with_an_api_key(emulator: Emulator) -> None:
    client = genai.Client(
        vertexai=True, api_key="express-key", http_options=types.HttpOptions(base_url=emulator.url)
    )
    exercise(client)
    assert emulator.stats()["requests_total"] == 3
