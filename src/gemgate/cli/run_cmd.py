"""``gemgate run PROMPTS.jsonl -o RESULTS.jsonl``: a batch through the whole pipeline.

Exit status: 0 when every line has completed (in this run or an earlier one); 1 when some line
failed in this run (or the results file could not be written); 2 for a usage or configuration
error: a bad option or config file, no API key or a refused one (which stops the run at once), an
output file that is not a results file; 130 when interrupted by Ctrl-C or SIGTERM (finished
results are kept; rerun to finish the rest).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import heapq
import io
import itertools
import json
import math
import os
import random
import signal
import sys
import time
import warnings
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO, cast
from urllib.parse import urlsplit

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from gemgate.cli.batch import BadLine, BatchItem, read_batch
from gemgate.cli.records import completed_record, failed_record
from gemgate.cli.results_file import ResultsFile
from gemgate.cli.summary import RunCounts, build_summary, print_summary
from gemgate.client import GeminiAPIClient, Result
from gemgate.clock import Clock
from gemgate.config import LimitSettings, load_settings, parse_limit
from gemgate.credentials import Secret, find_api_key
from gemgate.errors import (
    AuthenticationError,
    CircuitOpen,
    ConfigError,
    GemgateError,
    TransientError,
)
from gemgate.observability import Event, RequestFinished

__all__ = ["run"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
_POLL_S = 0.5  # how often a line waiting out open circuits looks again (jittered up to 2x)


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
    limits: tuple[str, ...] = ()
    redis: str | None = None
    circuit_wait_s: float = 300.0


@click.command("run", short_help="Send a JSONL file of requests; write one result line each.")
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
@click.option("--endpoint", help="Base URL of a Gemini-compatible server (http or https).")
@click.option("--model", help="Model for lines that name none.")
@click.option("--concurrency", type=click.IntRange(min=1), help="Requests in flight at most.")
@click.option(
    "--summary-json",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the summary as JSON here.",
)
@click.option("--rpm", type=click.IntRange(min=1), help="Requests per minute, per model.")
@click.option("--tpm", type=click.IntRange(min=1), help="Input tokens per minute, per model.")
@click.option("--rpd", type=click.IntRange(min=1), help="Requests per day (Pacific), per model.")
@click.option(
    "--limit",
    "limit_rules",
    multiple=True,
    metavar="NAME=N/WINDOW",
    help="A limit per model, e.g. requests=50/5s or tokens=20000/1m,burst=2000 "
    "(options burst=N, allowance=20ms; repeatable).",
)
@click.option("--redis", help="Share the limits across processes in this Redis (redis://...).")
@click.option(
    "--circuit-wait",
    "circuit_wait_s",
    type=click.FloatRange(min=0, max=7 * 86_400),
    callback=lambda _ctx, _param, value: _seconds(value, "--circuit-wait"),
    default=300.0,
    show_default=True,
    metavar="SECONDS",
    help="How long a line whose every endpoint has an open circuit waits, set aside while "
    "the others go on, for one to close before it fails; 0 fails it at once.",
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
    rpm: int | None,
    tpm: int | None,
    rpd: int | None,
    limit_rules: tuple[str, ...],
    redis: str | None,
    circuit_wait_s: float,
) -> None:
    """Send every request in PROMPTS (JSONL) and write one result line each to OUTPUT.

    A rerun with the same OUTPUT skips the lines that completed and tries the rest again.
    """
    if emulator and endpoint:
        raise click.UsageError("--emulator and --endpoint exclude each other")
    if output.exists() and output.resolve() == prompts.resolve():
        raise click.UsageError("the output file must not be the prompts file")
    if endpoint:
        _check_endpoint(endpoint)
    _check_writable(output, "-o", make_parents=True)
    if summary_json is not None:
        _check_writable(summary_json, "--summary-json", make_parents=False)
    rules = [f"requests={rpm}/60s"] * bool(rpm) + [f"tokens={tpm}/60s"] * bool(tpm)
    rules += [f"requests_per_day={rpd}"] * bool(rpd) + list(limit_rules)
    options = RunOptions(
        prompts,
        output,
        config_path,
        emulator,
        endpoint,
        model,
        concurrency,
        summary_json,
        tuple(rules),
        redis,
        circuit_wait_s,
    )
    raise SystemExit(asyncio.run(_main(options)))


def _seconds(value: float, option: str) -> float:
    if not math.isfinite(value):  # click's FloatRange lets NaN through
        raise click.BadParameter("must be a number of seconds", param_hint=option)
    return value


def _check_writable(path: Path, option: str, *, make_parents: bool) -> None:
    """Refuse, before anything is sent, a file the run could not write at the end."""
    folder = path.parent
    if make_parents:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise click.BadParameter(
                f"cannot make the folder {str(folder)!r}: {exc.strerror}", param_hint=option
            ) from None
    if path.is_dir():
        raise click.BadParameter(f"{str(path)!r} is a folder", param_hint=option)
    if not folder.is_dir():
        raise click.BadParameter(f"no folder {str(folder)!r}", param_hint=option)
    exists = path.exists()
    if not os.access(path if exists else folder, os.W_OK):
        target = path if exists else folder
        raise click.BadParameter(f"{str(target)!r} is not writable", param_hint=option)


def _check_endpoint(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise click.BadParameter("must be an http:// or https:// URL", param_hint="--endpoint")
    if parts.username or parts.password or parts.query:
        raise click.BadParameter(
            "must not carry credentials or a query; keys go in GEMINI_API_KEY",
            param_hint="--endpoint",
        )


async def _main(options: RunOptions) -> int:
    try:
        async with _client(options) as client:
            err = Console(file=cast(TextIO, _QuietStderr()))  # it writes, flushes and says isatty
            return await Batch(client, options, err).run()
    except AuthenticationError as exc:
        click.echo(
            f"gemgate run: {exc}" + ("" if options.emulator else " (or try --emulator)"), err=True
        )
    except (ConfigError, GemgateError) as exc:
        click.echo(f"gemgate run: {exc}", err=True)
    return EXIT_USAGE


@contextlib.asynccontextmanager
async def _client(options: RunOptions) -> AsyncIterator[GeminiAPIClient]:
    settings = load_settings(options.config_path)
    changes: dict[str, Any] = {}
    if options.model:
        changes["default_model"] = options.model
    if options.concurrency:
        changes["concurrency"] = options.concurrency
    if options.limits or options.redis:
        changes["limits"] = _limits(settings.limits, options)
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


def _limits(limits: LimitSettings, options: RunOptions) -> LimitSettings:
    """The config's limits with the command line's rules over them, name by name."""
    given = [parse_limit(text, "command line", "--limit") for text in options.limits]
    rules = {rule.name: rule for rule in (*limits.rules, *given)}
    redis = options.redis if options.redis is not None else limits.redis_url
    if options.redis is not None and urlsplit(options.redis).scheme not in ("redis", "rediss"):
        raise ConfigError("command line", "--redis", "expected a redis:// or rediss:// URL")
    return dataclasses.replace(limits, rules=tuple(rules.values()), redis_url=redis)


@dataclasses.dataclass(slots=True, eq=False)
class _Line:
    """A line on its way: when it first went, and what its earlier calls spent while it waited
    for circuits to close."""

    item: BatchItem
    started: float  # monotonic
    attempts: int = 0  # sent by earlier calls
    wait_until: float = math.inf  # its --circuit-wait ends (set at its first wait)

    def record(self, record: dict[str, Any], clock: Clock) -> dict[str, Any]:
        """The result line, its attempts and latency counted from the line's first call (a
        wait for circuits counts as queueing)."""
        if self.wait_until == math.inf:
            return record
        record["attempts"] += self.attempts
        if record["latency_ms"] is not None:
            total_ms = round((clock.monotonic() - self.started) * 1000, 1)
            record["queue_ms"] = round(record["queue_ms"] + total_ms - record["latency_ms"], 1)
            record["latency_ms"] = total_ms
        return record


class Batch:
    """Feeds the lines to the client, writes each result as it ends, counts everything."""

    def __init__(self, client: GeminiAPIClient, options: RunOptions, err: Console) -> None:
        self.client, self.options, self.err = client, options, err
        self.results = ResultsFile(options.output)
        self.counts = RunCounts()
        self.finished: dict[str, RequestFinished] = {}
        self.refused: AuthenticationError | None = None  # a refused key: stop, don't spend
        self.parked: list[tuple[float, int, _Line]] = []  # (when to look again, seq, line)
        self._seq = itertools.count()
        self.write_error: OSError | None = None  # the results file could not be written
        self._busy = 0  # lines being sent now
        self._keeper = False  # a worker sleeps until the first parked line is due
        self._changed = asyncio.Event()
        client.bus.subscribe(self._on_event)

    def _on_event(self, event: Event) -> None:
        if isinstance(event, RequestFinished):
            self.finished[event.request_id] = event

    async def run(self) -> int:
        self.counts.skipped = self.results.load()
        items = list(read_batch(self.options.prompts))
        self.counts.total_lines = len(items)
        todo = [i for i in items if i.id not in self.results.completed]
        start = time.monotonic()
        self.results.open()
        try:
            with _warnings_as_lines(self.err):
                await self._process(todo)
        finally:
            try:
                self.results.close()
            except OSError as exc:  # a full disk: the last lines may not have reached it
                self.write_error = self.write_error or exc
        summary = build_summary(
            self.counts, self.client.metrics, self.client.costs, time.monotonic() - start
        )
        if self.options.summary_json:  # first: a terminal that went away must not lose it
            try:
                self.options.summary_json.write_text(json.dumps(summary, indent=2) + "\n")
            except OSError as exc:
                self._say(f"gemgate run: the summary was not written: {exc}")
        print_summary(summary, self.err)
        if self.counts.interrupted:
            return EXIT_INTERRUPTED
        if self.refused is not None:
            self._say(f"gemgate run: stopped, the credential was refused: {self.refused}")
            return EXIT_USAGE
        if self.write_error is not None:
            self._say(
                f"gemgate run: stopped, the results could not be written: {self.write_error} "
                "(free the space and rerun the same command to finish)"
            )
            return EXIT_FAILED
        return EXIT_FAILED if self.counts.failed else EXIT_OK

    def _say(self, text: str) -> None:
        self.err.print(text, markup=False, highlight=False, soft_wrap=True)

    async def _process(self, todo: list[BatchItem | BadLine]) -> None:
        queue: asyncio.Queue[BatchItem | BadLine] = asyncio.Queue()
        for item in todo:
            queue.put_nowait(item)
        with _progress(self.err, len(todo)) as progress:
            task_id = progress.add_task("requests", total=len(todo))

            async def worker() -> None:
                while not self._stopped():
                    job = await self._next(queue)
                    if job is None:
                        return
                    self._busy += 1
                    try:
                        if await self._one(job):
                            progress.advance(task_id)
                    except OSError as exc:  # the results file cannot be written: stop, say so
                        self.write_error = exc
                    finally:
                        self._busy -= 1
                        if not self._busy or not self._keeper:
                            self._changed.set()  # a line set aside, or the last one done

            workers = [
                asyncio.ensure_future(worker())
                for _ in range(min(len(todo), self.client.settings.concurrency * 2))
            ]
            with _interruptible(workers) as interrupted:
                await asyncio.gather(*workers, return_exceptions=True)
            self.counts.interrupted = interrupted[0]

    async def _next(self, queue: asyncio.Queue[BatchItem | BadLine]) -> _Line | BadLine | None:
        """The next line to send: a parked one that is due and whose circuit is no longer open
        (or whose wait is over), else a new one; None when nothing is left. While parked lines
        are not due, one worker sleeps until the first is and the others wait for news."""
        clock = self.client.clock
        while not self._stopped():
            now = clock.monotonic()
            if self.parked and self.parked[0][0] <= now:
                _, _, line = heapq.heappop(self.parked)
                if now >= line.wait_until or self._admissible(line.item):
                    self._changed.set()  # others may go too (a circuit closed): wake them
                    return line
                self._park(line)
                continue
            if not queue.empty():
                item = queue.get_nowait()
                return item if isinstance(item, BadLine) else _Line(item, now)
            if not self.parked and not self._busy:
                return None
            if not self.parked or self._keeper:
                self._changed.clear()  # a line out may be set aside, or the keeper hand one over
                await self._changed.wait()
                continue
            self._keeper = True
            try:
                await clock.sleep(self.parked[0][0] - now)
            finally:
                self._keeper = False
        return None

    def _stopped(self) -> bool:
        return self.refused is not None or self.write_error is not None

    def _admissible(self, item: BatchItem) -> bool:
        """Whether the router would take the line now (checking sends and records nothing)."""
        model = item.model or self.client.settings.default_model
        try:
            self.client.router.precheck(model, pinned=item.region)
        except CircuitOpen:
            return False
        except GemgateError:
            return True  # another refusal (a spent day): the line goes, and fails at once
        return True

    def _park(self, line: _Line) -> None:
        check_at = self.client.clock.monotonic() + _POLL_S * (1 + random.random())
        heapq.heappush(self.parked, (check_at, next(self._seq), line))

    async def _one(self, job: _Line | BadLine) -> bool:
        """Send one line and write its result; False when it was parked to wait for a circuit
        to close (it comes back through :meth:`_next`)."""
        if isinstance(job, BadLine):
            self.counts.bad_lines += 1
            self._fail(failed_record(job.id, ValueError(job.reason), kind="InvalidInput"))
            return True
        item, request_id = job.item, os.urandom(16).hex()
        try:
            result = await self._generate(item, request_id)
        except Exception as exc:  # one line's failure, whatever it is, must not stop the rest
            if isinstance(exc, AuthenticationError):
                self.refused = exc
            event = self.finished.pop(request_id, None)
            if self._waits(job, exc, event):
                self._park(job)
                return False
            self._fail(job.record(failed_record(item.id, exc, event=event), self.client.clock))
            return True
        self.finished.pop(request_id, None)
        self.counts.completed += 1
        self.results.append(job.record(completed_record(item.id, result), self.client.clock))
        return True

    def _waits(self, job: _Line, error: Exception, event: RequestFinished | None) -> bool:
        """Whether the line waits for a circuit to close instead of failing: every endpoint it
        may use is open now (it was refused for that, or its own failure opened the last one),
        and its ``--circuit-wait`` is not over. Counted once per line, from its first wait."""
        now = self.client.clock.monotonic()
        if self.refused is not None or not isinstance(error, CircuitOpen | TransientError):
            return False
        if isinstance(error, TransientError) and self._admissible(job.item):
            return False  # an ordinary failure, after its own retries
        if job.wait_until == math.inf:
            job.wait_until = now + self.options.circuit_wait_s
        if now >= job.wait_until:
            return False
        job.attempts += event.attempts if event is not None else 0
        return True

    async def _generate(self, item: BatchItem, request_id: str) -> Result:
        return await self.client.generate(
            item.contents,
            model=item.model,
            generation_config=item.generation_config,
            system_instruction=item.system_instruction,
            user_id=item.user_id,
            feature=item.feature,
            team=item.team,
            priority=item.priority,
            request_id=request_id,
            region=item.region,
        )

    def _fail(self, record: dict[str, Any]) -> None:
        self.counts.failed += 1
        self.counts.failed_by[record["error"]["type"]] += 1
        self.results.append(record)


def _progress(console: Console, total: int) -> Progress:
    return Progress(
        TextColumn("[bold]gemgate run"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
        disable=total == 0 or not console.is_terminal,  # a log file gets the summary only
    )


class _QuietStderr(io.TextIOBase):
    """Standard error that a closed pipe (``gemgate run ... 2>&1 | head``) cannot break: once
    writing fails, later output is dropped, and the run still writes its results and summary
    file and exits with its own status."""

    def __init__(self) -> None:
        # the stream itself, held now: a live progress display swaps sys.stderr for a proxy that
        # writes back into this console, and writing through that would loop
        self._stream = sys.stderr
        self.broken = False

    def write(self, text: str) -> int:
        if not self.broken:
            try:
                self._stream.write(text)
                self._stream.flush()
            except (BrokenPipeError, ValueError):  # ValueError: stderr is closed
                self._silence()
        return len(text)

    def flush(self) -> None:
        if not self.broken:
            try:
                self._stream.flush()
            except (BrokenPipeError, ValueError):
                self._silence()

    def isatty(self) -> bool:
        return not self.broken and self._stream.isatty()

    def _silence(self) -> None:
        self.broken = True
        with contextlib.suppress(OSError, ValueError):
            # the interpreter flushes stderr at exit: point it at nothing, so that is quiet too
            os.dup2(os.open(os.devnull, os.O_WRONLY), self._stream.fileno())


@contextlib.contextmanager
def _warnings_as_lines(console: Console) -> Iterator[None]:
    """Show warnings (an unknown model, say) as one plain line each, not a source listing."""

    def show(message: Warning | str, category: type[Warning], *_: object, **__: object) -> None:
        console.print(f"[yellow]warning:[/] {escape(str(message))}", highlight=False)

    with warnings.catch_warnings():
        warnings.showwarning = show
        yield


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
