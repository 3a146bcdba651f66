"""``gemgate emulator``: run the local Gemini API emulator in the foreground."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
from pathlib import Path

import click

from gemgate.emulator import EmulatorConfig, EmulatorServer, FaultPlanError, parse_fault_plan
from gemgate.emulator.faults import FaultRule

__all__ = ["emulator"]


@click.command("emulator")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8787, show_default=True)
@click.option("--rpm", type=click.IntRange(min=1), help="Requests per window per key and model.")
@click.option(
    "--tpm", type=click.IntRange(min=1), help="Input tokens per window per key and model."
)
@click.option(
    "--window-s",
    type=click.FloatRange(min=0, min_open=True),
    default=60.0,
    show_default=True,
    help="Length of the limit window in seconds.",
)
@click.option(
    "--limit-mode", type=click.Choice(["sliding", "fixed"]), default="sliding", show_default=True
)
@click.option("--latency-ms", type=click.FloatRange(min=0), default=0.0, help="Added per request.")
@click.option(
    "--error-rate", type=click.FloatRange(0, 1), default=0.0, help="Fraction answered 503."
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of answers and draws.")
@click.option(
    "--fault-plan",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help='JSON file {"rules": [...]}; see docs/emulator.md.',
)
@click.option(
    "--api-key",
    "api_keys",
    multiple=True,
    envvar="GEMGATE_EMULATOR_API_KEYS",
    help="A valid key (repeatable; or GEMGATE_EMULATOR_API_KEYS, space-separated).",
)
@click.option("--bad-key", "bad_keys", multiple=True, help="A key always refused (repeatable).")
def emulator(
    host: str,
    port: int,
    rpm: int | None,
    tpm: int | None,
    window_s: float,
    limit_mode: str,
    latency_ms: float,
    error_rate: float,
    seed: int,
    fault_plan: Path | None,
    api_keys: tuple[str, ...],
    bad_keys: tuple[str, ...],
) -> None:
    """Serve a local, wire-faithful Gemini API until Ctrl-C or SIGTERM."""
    config = EmulatorConfig(
        rpm=rpm,
        tpm=tpm,
        window_s=window_s,
        limit_mode="fixed" if limit_mode == "fixed" else "sliding",
        latency_ms=latency_ms,
        error_rate=error_rate,
        seed=seed,
        api_keys=api_keys,
        bad_keys=bad_keys,
        faults=_load_plan(fault_plan) if fault_plan else (),
        host=host,
        port=port,
    )
    asyncio.run(_serve(config))


def _load_plan(path: Path) -> tuple[FaultRule, ...]:
    try:
        return parse_fault_plan(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, FaultPlanError) as exc:
        raise click.BadParameter(str(exc), param_hint="--fault-plan") from exc


def _describe(config: EmulatorConfig) -> str:
    """One line about the running emulator; it names no key, only how many there are."""
    limits = f"rpm={config.rpm or '-'} tpm={config.tpm or '-'} per {config.window_s:g}s"
    return (
        f"{limits} ({config.limit_mode}), {len(config.faults)} fault rule(s), "
        f"{len(config.api_keys)} api key(s), {len(config.bad_keys)} bad key(s)"
    )


async def _serve(config: EmulatorConfig) -> None:
    server = EmulatorServer(config)
    try:
        await server.start()
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {config.host}:{config.port}: {exc}") from exc
    try:
        click.echo(f"gemgate emulator listening on {server.base_url} — {_describe(config)}")
        await _until_stopped()
    finally:
        await server.stop()


async def _until_stopped() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    await stop.wait()
