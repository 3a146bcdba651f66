"""The closing summary of ``gemgate run``: a table on the terminal, the same data as JSON."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.table import Table

from gemgate.cli.records import money
from gemgate.cost import CostTracker, Spend
from gemgate.observability import Metrics

__all__ = ["RunCounts", "build_summary", "print_summary"]


@dataclass(slots=True)
class RunCounts:
    total_lines: int = 0
    skipped: int = 0
    completed: int = 0
    failed: int = 0
    bad_lines: int = 0
    interrupted: bool = False
    failed_by: Counter[str] = field(default_factory=Counter)  # failed lines, by error type


def _spend(spend: Spend) -> dict[str, Any]:
    return {
        "requests": spend.requests,
        "cost_usd": money(spend.cost_usd),
        "unpriced_requests": spend.unpriced,
        "prompt_tokens": spend.prompt_tokens,
        "output_tokens": spend.output_tokens,
        "total_tokens": spend.total_tokens,
    }


def build_summary(
    counts: RunCounts, metrics: Metrics, costs: CostTracker, wall_s: float
) -> dict[str, Any]:
    """Everything the table shows, as plain JSON values (money as decimal strings)."""
    sent = costs.total.requests
    failed_by = counts.failed_by  # lines, not requests: a line that waited and went counts once
    return {
        "input_lines": counts.total_lines,
        "skipped_already_done": counts.skipped,
        "completed": counts.completed,
        "failed": counts.failed,
        "bad_input_lines": counts.bad_lines,
        "interrupted": counts.interrupted,
        "retries": metrics.retries,
        "failed_by_error": dict(failed_by.most_common()),
        "circuits_opened": dict(metrics.circuits_opened.most_common()),
        "tokens": _spend(costs.total),
        "cost_usd": money(costs.total.cost_usd),
        "cost_by": {
            d: {k: _spend(v) for k, v in costs.by(d).items()}
            for d in ("model", "user", "feature", "team")
        },
        "latency_ms": (  # null when no request finished (every line skipped or bad)
            metrics.latency_percentiles()
            if metrics.latencies.count
            else dict.fromkeys(("p50", "p95", "p99"))
        ),
        "queued_s": round(metrics.queue_ms / 1000, 3),
        "throttled_s": round(metrics.throttled_ms / 1000, 3),
        "wall_s": round(wall_s, 3),
        "throughput_rps": round(sent / wall_s, 2) if wall_s > 0 else 0.0,
    }


def _breakdown(title: str, rows: dict[str, Any]) -> Table:
    table = Table(title=title, title_justify="left", expand=False)
    for name in (title.split()[-1], "requests", "tokens", "cost (USD)"):
        table.add_column(name, justify="left" if name == title.split()[-1] else "right")
    for key, spend in rows.items():
        unpriced = (
            f" (+{spend['unpriced_requests']} unpriced)" if spend["unpriced_requests"] else ""
        )
        table.add_row(
            key, str(spend["requests"]), str(spend["total_tokens"]), spend["cost_usd"] + unpriced
        )
    return table


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {n}" for name, n in counts.items()) or "-"


def print_summary(summary: dict[str, Any], console: Console) -> None:
    head = Table(title="gemgate run", title_justify="left", show_header=False)
    head.add_column(justify="left")
    head.add_column(justify="right")
    lat = summary["latency_ms"]
    tokens = summary["tokens"]
    for label, value in (
        ("completed", summary["completed"]),
        ("failed", summary["failed"]),
        ("bad input lines (counted in failed)", summary["bad_input_lines"]),
        ("skipped (already done)", summary["skipped_already_done"]),
        ("retries", summary["retries"]),
        ("failed by error", _counts(summary["failed_by_error"])),
        ("circuits opened", _counts(summary["circuits_opened"])),
        (
            "tokens prompt / output / total",
            f"{tokens['prompt_tokens']} / {tokens['output_tokens']} / {tokens['total_tokens']}",
        ),
        ("cost (USD)", summary["cost_usd"]),
        (
            "latency p50 / p95 / p99 (ms)",
            " / ".join("-" if lat[p] is None else str(lat[p]) for p in ("p50", "p95", "p99")),
        ),
        (
            "queued / throttled, summed over requests (s)",
            f"{summary['queued_s']} / {summary['throttled_s']}",
        ),
        ("throughput (req/s)", summary["throughput_rps"]),
        ("wall time (s)", summary["wall_s"]),
    ):
        head.add_row(label, str(value))
    console.print(head)
    for dimension in ("model", "user", "feature"):
        rows = summary["cost_by"][dimension]
        if rows:
            console.print(_breakdown(f"cost by {dimension}", rows))
    if summary["interrupted"]:
        console.print("[yellow]interrupted: rerun the same command to finish the rest[/]")
