"""``gemgate run PROMPTS.jsonl -o RESULTS.jsonl``: a batch through the whole pipeline.

Exit status: 0 when every line completed (now or in an earlier run), 1 when some line's
result in the output is a failure (now or from an earlier run),
2 for a usage or configuration error (bad option, config file, no API key),
130 when interrupted (Ctrl-C or SIGTERM: finished results are kept; rerun to finish the rest).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import signal
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from gemgate.cli.batch import BadLine, BatchItem, read_batch
from gemgate.cli.results_file import ResultsFile
from gemgate.cli.summary import RunCounts, build_summary, print_summary
from gemgate.client import GeminiAPIClient, Result
from gemgate.config import load_settings
from gemgate.credentials import Secret, find_api_key
from gemgate.errors import ConfigError, GemgateError
from gemgate.observability import Event, RequestFinished

__all__ = ["run"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


@click.command("run")
@click.argument("prompts", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Results file (JSONL); an existing one is resumed.",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="gemgate.toml (default: $GEMGATE_CONFIG, then ./gemgate.toml).",
)
@click.option("--emulator", is_flag=True, help="Run against an in-process emulator (no key).")
@click.option("--endpoint", help="Base URL of a Gemini-compatible server.")
@click.option("--model", help="Model for lines that name none.")
@click.option("--concurrency", type=click.IntRange(min=1), help="Requests in flight at most.")
@click.option(
    "--summary-json",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the summary as JSON here.",
)
def run(
    prompts: Path,
    output: Path,
    config_path: Path | None,
    emulator: bool,
    endpoint: str | None,
    model: str | None,
    concurrency: int | None,
    summary_json: Path | None,
) -> None:
    """Send every request in PROMPTS (JSONL) and write one result line each to OUTPUT."""
    options = RunOptions(
        prompts, output, config_path, emulator, endpoint, model, concurrency, summary_json
    )
    raise SystemExit(asyncio.run(_main(options)))


@dataclasses.dataclass(frozen=True, slots=True)
class RunOptions:
    prompts: Path
    output: Path
    config_path: Path | None
    emulator: bool
    endpoint: str | None
    model: str | None
    concurrency: int | None
    summary_json: Path | None


async def _main(options: RunOptions) -> int:
    err = Console(stderr=True)
    try:
        async with _client(options) as client:
            return await Batch(client, options, err).run()
    except (ConfigError, GemgateError) as exc:
        err.print(f"[red]gemgate run: {exc}[/]")
        return EXIT_USAGE


@contextlib.asynccontextmanager
async def _client(options: RunOptions) -> AsyncIterator[GeminiAPIClient]:
    settings = load_settings(options.config_path)
    changes: dict[str, Any] = {}
    if options.model:
        changes["default_model"] = options.model
    if options.concurrency:
        changes["concurrency"] = options.concurrency
    settings = dataclasses.replace(settings, **changes)
    if not options.emulator:
        key = find_api_key(os.environ, settings.api_key_env, settings.api_key_file)
        async with GeminiAPIClient.from_settings(settings, key, base_url=options.endpoint) as c:
            yield c
        return
    from gemgate.emulator import EmulatorConfig, EmulatorServer

    async with (
        EmulatorServer(EmulatorConfig()) as emu,
        GeminiAPIClient.from_settings(settings, Secret("emulator-key"), base_url=emu.base_url) as c,
    ):
        yield c


class Batch:
    """Feeds the lines to the client, writes each result as it ends, counts everything."""

    def __init__(self, client: GeminiAPIClient, options: RunOptions, err: Console) -> None:
        self.client, self.options, self.err = client, options, err
        self.results = ResultsFile(options.output)
        self.counts = RunCounts()
        self.finished: dict[str, RequestFinished] = {}
        client.bus.subscribe(self._on_event)

    def _on_event(self, event: Event) -> None:
        if isinstance(event, RequestFinished):
            self.finished[event.request_id] = event

    async def run(self) -> int:
        self.counts.skipped = self.results.load()
        self.counts.failed_earlier = self.results.settled_failures
        items = list(read_batch(self.options.prompts))
        self.counts.total_lines = len(items)
        todo = [i for i in items if i.id not in self.results.settled]
        start = time.monotonic()
        self.results.open()
        try:
            await self._process(todo)
        finally:
            self.results.close()
        summary = build_summary(
            self.counts, self.client.metrics, self.client.costs, time.monotonic() - start
        )
        print_summary(summary, self.err)
        if self.options.summary_json:
            self.options.summary_json.write_text(json.dumps(summary, indent=2) + "\n")
        if self.counts.interrupted:
            return EXIT_INTERRUPTED
        failed = self.counts.failed + self.counts.failed_earlier
        return EXIT_FAILED if failed else EXIT_OK

    async def _process(self, todo: list[BatchItem | BadLine]) -> None:
        queue: asyncio.Queue[BatchItem | BadLine] = asyncio.Queue()
        for item in todo:
            queue.put_nowait(item)
        with _progress(self.err, len(todo)) as progress:
            task_id = progress.add_task("requests", total=len(todo))

            async def worker() -> None:
                while not queue.empty():
                    await self._one(queue.get_nowait())
                    progress.advance(task_id)

            workers = [
                asyncio.ensure_future(worker())
                for _ in range(min(len(todo), self.client.settings.concurrency * 2))
            ]
            with _interruptible(workers) as interrupted:
                await asyncio.gather(*workers, return_exceptions=True)
            self.counts.interrupted = interrupted[0]

    async def _one(self, item: BatchItem | BadLine) -> None:
        if isinstance(item, BadLine):
            self.counts.bad_lines += 1
            self._write_failure(item.id, "InvalidInput", item.reason, retryable=False)
            return
        request_id = os.urandom(8).hex()
        try:
            result = await self.client.generate(
                item.contents,
                model=item.model,
                generation_config=item.generation_config,
                system_instruction=item.system_instruction,
                user_id=item.user_id,
                feature=item.feature,
                team=item.team,
                priority=item.priority,
                request_id=request_id,
            )
        except GemgateError as exc:
            self._write_error(item, request_id, exc)
            return
        self.counts.completed += 1
        self.results.append(_completed(item, result))

    def _write_error(self, item: BatchItem, request_id: str, exc: GemgateError) -> None:
        event = self.finished.pop(request_id, None)
        record = _failed(item.id, type(exc).__name__, str(exc), exc.retryable)
        if event is not None:
            record.update(_measures(event))
        record["error"]["status"] = exc.status
        self.counts.failed += 1
        self.results.append(record)

    def _write_failure(self, item_id: str, kind: str, message: str, *, retryable: bool) -> None:
        self.counts.failed += 1
        self.results.append(_failed(item_id, kind, message, retryable))


def _completed(item: BatchItem, result: Result) -> dict[str, Any]:
    return {
        "id": item.id,
        "status": "completed",
        "text": result.text,
        "model": result.model,
        "usage": result.usage.as_dict(),
        "cost_usd": None if result.cost_usd is None else format(result.cost_usd, "f"),
        "attempts": result.attempts,
        "latency_ms": round(result.latency_ms, 1),
        "queue_ms": round(result.queue_ms, 1),
        "region": result.region,
        "finish_reason": result.finish_reason,
        "request_id": result.request_id,
    }


def _failed(item_id: str, kind: str, message: str, retryable: bool) -> dict[str, Any]:
    return {
        "id": item_id,
        "status": "failed",
        "text": None,
        "usage": None,
        "cost_usd": None,
        "attempts": 0,
        "latency_ms": None,
        "queue_ms": None,
        "region": None,
        "error": {"type": kind, "message": message},
        "retryable": retryable,
    }


def _measures(event: RequestFinished) -> dict[str, Any]:
    return {
        "model": event.model,
        "usage": {
            "prompt": event.prompt_tokens,
            "output": event.output_tokens,
            "total": event.total_tokens,
        },
        "cost_usd": None if event.cost_usd is None else format(event.cost_usd, "f"),
        "attempts": event.attempts,
        "latency_ms": round(event.latency_ms, 1),
        "queue_ms": round(event.queue_ms, 1),
        "region": event.region,
        "request_id": event.request_id,
    }


def _progress(console: Console, total: int) -> Progress:
    return Progress(
        TextColumn("[bold]gemgate run"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
        disable=total == 0,
    )


@contextlib.contextmanager
def _interruptible(workers: Sequence[asyncio.Future[None]]) -> Iterator[list[bool]]:
    """Ctrl-C / SIGTERM cancel the workers; results already written stay."""
    loop = asyncio.get_running_loop()
    flag = [False]

    def stop() -> None:
        flag[0] = True
        for w in workers:
            w.cancel()

    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        loop.add_signal_handler(sig, stop)
    try:
        yield flag
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)
