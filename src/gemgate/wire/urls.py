"""Where a request goes: the Developer API and Vertex AI URL shapes.

Developer API: ``{base}/{version}/models/{model}:{method}`` on
``https://generativelanguage.googleapis.com`` (``v1beta`` or ``v1``); tuned models keep their
``tunedModels/`` prefix. Vertex AI: ``{base}/{version}/projects/{p}/locations/{region}/publishers/
google/models/{model}:{method}`` on ``https://{region}-aiplatform.googleapis.com``, the ``global``
location on ``https://aiplatform.googleapis.com``; without a project (express mode, API key) the
path is ``{base}/{version}/publishers/google/models/{model}:{method}``. Credentials never go in a
URL: the transport puts them in headers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["DEVELOPER_API_BASE", "Endpoint", "model_id"]

DEVELOPER_API_BASE = "https://generativelanguage.googleapis.com"
_MODEL_PREFIXES = ("publishers/google/models/", "models/")


def model_id(model: str) -> str:
    """``"models/gemini-2.5-flash"`` -> ``"gemini-2.5-flash"``; ``tunedModels/x`` is kept."""
    for prefix in _MODEL_PREFIXES:
        if model.startswith(prefix):
            return model[len(prefix) :]
    return model


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One place to send requests: an API flavour, a base URL and, for Vertex, a region.

    ``base_url=None`` means the service's own host; ``base_url=""`` gives host-less paths
    (``/v1beta/models/…``), as a server routing these requests sees them.

    >>> Endpoint(base_url="").method_url("models/gemini-2.5-flash", "streamGenerateContent")
    '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse'
    """

    kind: Literal["developer", "vertex"] = "developer"
    api_version: str = "v1beta"
    base_url: str | None = None
    project: str | None = None
    region: str = "global"
    label: str | None = None

    @property
    def root(self) -> str:
        if self.base_url is not None:
            return self.base_url.rstrip("/")
        if self.kind == "developer":
            return DEVELOPER_API_BASE
        if self.region == "global":
            return "https://aiplatform.googleapis.com"
        return f"https://{self.region}-aiplatform.googleapis.com"

    @property
    def name(self) -> str:
        """A short label for logs, metrics and results: ``label`` if given, else the region
        (``global`` for the Developer API)."""
        return self.label or self.region

    def _model_path(self, model: str) -> str:
        model = model_id(model)
        if self.kind == "developer":
            return model if model.startswith("tunedModels/") else f"models/{model}"
        if self.project:
            return (
                f"projects/{self.project}/locations/{self.region}/publishers/google/models/{model}"
            )
        return f"publishers/google/models/{model}"

    def method_url(self, model: str, method: str) -> str:
        """The URL of ``model:method``; streaming adds ``?alt=sse``."""
        url = f"{self.root}/{self.api_version}/{self._model_path(model)}:{method}"
        return url + "?alt=sse" if method == "streamGenerateContent" else url

    def models_url(self) -> str:
        if self.kind == "developer":
            return f"{self.root}/{self.api_version}/models"
        return f"{self.root}/{self.api_version}/publishers/google/models"
