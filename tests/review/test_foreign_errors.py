"""Every error gemgate raises is a GemgateError (errors.py docstring; STYLE §3)."""

from __future__ import annotations

import pytest

from gemgate.client import GeminiAPIClient
from gemgate.config import load_settings
from gemgate.credentials import Secret
from gemgate.errors import GemgateError, InvalidRequest
from gemgate.transport import Transport


@pytest.mark.parametrize("base_url", ["localhost:8787", "ftp://127.0.0.1:1"])
async def test_an_unusable_base_url_is_a_gemgate_error(base_url: str) -> None:
    """An unusable base URL is refused when the client is made, as a GemgateError (ConfigError),
    and the transport maps aiohttp's InvalidURL too: nothing foreign escapes."""
    settings = load_settings(None, env={})
    with pytest.raises(GemgateError, match="base_url"):
        GeminiAPIClient.from_settings(settings, Secret("k"), base_url=base_url)
    async with Transport() as transport:
        with pytest.raises(InvalidRequest):
            await transport.request_json("POST", f"{base_url}/v1beta/models/m:generateContent")
