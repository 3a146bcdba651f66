"""A local, wire-faithful Gemini API server: the project's independent witness.

It serves the Developer API (``/v1beta/models/{m}:generateContent`` and friends) and Vertex AI
(``/v1/projects/{p}/locations/{r}/publishers/google/models/{m}:...`` and express mode) with
deterministic answers, real ``usageMetadata``, real error bodies, server-side limits per
(credential, model), and planned faults per region. It shares no code with the client it judges:
it imports only the standard library, aiohttp and ``gemgate.clock``.

::

    from gemgate.emulator import EmulatorConfig, EmulatorServer

    async with EmulatorServer(EmulatorConfig(rpm=5, window_s=1.0)) as emu:
        ...  # point a client at emu.base_url; read emu.stats()

See ``docs/emulator.md`` for the CLI, the fault-plan format and the control endpoints.
"""

from gemgate.emulator.app import build_app
from gemgate.emulator.config import EmulatorConfig, LimitMode
from gemgate.emulator.faults import FaultPlanError, FaultRule, parse_fault_plan
from gemgate.emulator.server import EmulatorServer

__all__ = [
    "EmulatorConfig",
    "EmulatorServer",
    "FaultPlanError",
    "FaultRule",
    "LimitMode",
    "build_app",
    "parse_fault_plan",
]
