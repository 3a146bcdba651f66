"""The emulator's mutable state, shared by its handlers through one ``web.AppKey``."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field

from aiohttp import web

from gemgate.clock import Clock
from gemgate.emulator.auth import KeyRules
from gemgate.emulator.config import EmulatorConfig
from gemgate.emulator.faults import FaultBook, FaultRule
from gemgate.emulator.quota import Limits, QuotaBook
from gemgate.emulator.stats import Stats

__all__ = ["STATE", "EmulatorState"]


@dataclass(slots=True)
class EmulatorState:
    """Config, clock, seeded RNG, fault plan, limit windows and counters of one emulator."""

    config: EmulatorConfig
    clock: Clock
    rng: random.Random = field(init=False)
    faults: FaultBook = field(init=False)
    quota: QuotaBook = field(init=False)
    stats: Stats = field(init=False)
    keys: KeyRules = field(init=False)
    released: asyncio.Event = field(default_factory=asyncio.Event)
    answers: int = 0

    def __post_init__(self) -> None:
        self.keys = KeyRules(frozenset(self.config.api_keys), frozenset(self.config.bad_keys))
        self.rng = random.Random(self.config.seed)
        self.faults = FaultBook(self.config.faults, self.rng)
        self._fresh_counters()

    def _fresh_counters(self) -> None:
        cfg = self.config
        self.quota = QuotaBook(Limits(cfg.rpm, cfg.tpm, cfg.window_s, cfg.limit_mode))
        self.stats = Stats(cfg.window_s)
        self.answers = 0

    def set_faults(self, rules: tuple[FaultRule, ...]) -> None:
        """Replace the fault plan; counts start afresh."""
        self.faults.replace(rules)

    def reset(self) -> None:
        """Forget counters, limit windows and faults; reseed the RNG."""
        self.rng.seed(self.config.seed)
        self.faults.replace(())
        self._fresh_counters()

    def next_answer_number(self) -> int:
        self.answers += 1
        return self.answers


STATE = web.AppKey("gemgate_emulator_state", EmulatorState)
