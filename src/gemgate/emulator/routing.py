"""Which API a path belongs to: Developer API, Vertex AI (project or express), or a model list.

The region of a Developer API or express-mode request is ``global``; a Vertex project path names
its region in ``locations/{region}``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

__all__ = ["MODEL_METHODS", "Target", "route"]

Family = Literal["developer", "vertex", "express"]
MODEL_METHODS = frozenset({"generateContent", "streamGenerateContent", "countTokens"})

_DEV_CALL = re.compile(r"/(v1|v1beta|v1alpha)/((?:models|tunedModels)/[^/:]+):(\w+)")
_VERTEX_CALL = re.compile(
    r"/(v1|v1beta1)/projects/([^/]+)/locations/([^/]+)/publishers/google/models/([^/:]+):(\w+)"
)
_EXPRESS_CALL = re.compile(r"/(v1|v1beta1)/publishers/google/models/([^/:]+):(\w+)")
_DEV_MODELS = re.compile(r"/(v1|v1beta|v1alpha)/models(?:/([^/:]+))?")
_VERTEX_MODELS = re.compile(r"/(v1|v1beta1)/publishers/google/models(?:/([^/:]+))?")


@dataclass(frozen=True, slots=True)
class Target:
    """A routed request. ``model`` is the bare id (``tunedModels/x`` keeps its prefix)."""

    family: Family
    version: str
    method: str
    region: str = "global"
    model: str | None = None
    model_path: str | None = None

    @property
    def vertex(self) -> bool:
        return self.family != "developer"


def route(method: str, path: str) -> Target | None:
    """The target of ``method path``, or ``None`` when the service has no such path."""
    if method == "POST":
        return _route_call(path)
    if method == "GET":
        return _route_models(path)
    return None


def _route_call(path: str) -> Target | None:
    if match := _DEV_CALL.fullmatch(path):
        version, model_path, call = match.groups()
        model = model_path.removeprefix("models/")
        return Target("developer", version, call, "global", model, model_path)
    if match := _VERTEX_CALL.fullmatch(path):
        version, _project, region, model, call = match.groups()
        return Target("vertex", version, call, region, model, f"publishers/google/models/{model}")
    if match := _EXPRESS_CALL.fullmatch(path):
        version, model, call = match.groups()
        return Target(
            "express", version, call, "global", model, f"publishers/google/models/{model}"
        )
    return None


def _route_models(path: str) -> Target | None:
    if match := _DEV_MODELS.fullmatch(path):
        version, model = match.groups()
        return Target("developer", version, "getModel" if model else "listModels", model=model)
    if match := _VERTEX_MODELS.fullmatch(path):
        version, model = match.groups()
        return Target("express", version, "getModel" if model else "listModels", model=model)
    return None
