"""``models.list`` and ``models.get``: a small fixed catalog, and any id on request.

The Developer API answers ``{"models": [...], "nextPageToken"}``; Vertex AI's publisher-model
list answers ``{"publisherModels": [...], "nextPageToken"}``. Page tokens are opaque strings.
"""

from __future__ import annotations

import base64
from typing import Any

__all__ = ["CATALOG", "developer_model", "list_page", "vertex_model"]

CATALOG: tuple[str, ...] = (
    "gemini-2.5-pro",
    "gemini-2.5-flash",
    "gemini-2.5-flash-lite",
    "gemini-3-pro-preview",
    "gemini-3-flash-preview",
    "gemini-embedding-001",
)
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000


def _display_name(model: str) -> str:
    return " ".join(word.capitalize() for word in model.replace("tunedModels/", "").split("-"))


def developer_model(model: str) -> dict[str, Any]:
    """A Developer API ``Model`` resource for any id."""
    embedding = "embedding" in model
    methods = ["embedContent"] if embedding else ["generateContent", "countTokens"]
    name = model if model.startswith("tunedModels/") else f"models/{model}"
    return {
        "name": name,
        "version": "001",
        "displayName": _display_name(model),
        "description": f"Emulated {_display_name(model)}",
        "inputTokenLimit": 2048 if embedding else 1048576,
        "outputTokenLimit": 1 if embedding else 65536,
        "supportedGenerationMethods": methods,
        **({} if embedding else {"temperature": 1, "topP": 0.95, "topK": 64, "maxTemperature": 2}),
    }


def vertex_model(model: str) -> dict[str, Any]:
    """A Vertex AI ``PublisherModel`` resource for any id."""
    return {
        "name": f"publishers/google/models/{model}",
        "versionId": "default",
        "openSourceCategory": "PROPRIETARY",
        "launchStage": "GA",
    }


def _decode_token(token: str) -> int:
    try:
        return max(0, int(base64.urlsafe_b64decode(token.encode()).decode()))
    except ValueError:
        return 0


def list_page(page_size: str | None, page_token: str | None, vertex: bool) -> dict[str, Any]:
    """One page of the catalog."""
    try:
        size = int(page_size) if page_size else DEFAULT_PAGE_SIZE
    except ValueError:
        size = DEFAULT_PAGE_SIZE
    size = min(max(size, 1), MAX_PAGE_SIZE) if size > 0 else DEFAULT_PAGE_SIZE
    start = _decode_token(page_token) if page_token else 0
    names = CATALOG[start : start + size]
    render = vertex_model if vertex else developer_model
    body: dict[str, Any] = {"publisherModels" if vertex else "models": [render(m) for m in names]}
    if start + size < len(CATALOG):
        body["nextPageToken"] = base64.urlsafe_b64encode(str(start + size).encode()).decode()
    return body
