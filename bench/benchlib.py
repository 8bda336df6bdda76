"""Shared helpers for the benchmark scripts: paths, percentiles, machine facts, JSON output.

Imported first by every script: running `python bench/x.py` puts bench/ (not the repo) on
sys.path, and the scripts need the repo root for `tests.fakebotapi` and `tests.botharness`.
"""

from __future__ import annotations

import json
import math
import os
import platform
import signal
import statistics
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
OUT = BENCH / "out"  # raw JSON per script (git-ignored); RESULTS.md is the committed summary
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0-100), as numpy's default."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else math.nan


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> dict[str, Any]:
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu_model(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def write_json(name: str, data: dict[str, Any], path: str | None = None) -> Path:
    target = Path(path) if path else OUT / f"{name}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps({"machine": machine(), **data}, indent=2) + "\n")
    return target


def ms(ns: float) -> float:
    return ns / 1e6


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for index, row in enumerate(cells):
        print("  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))
        if index == 0:
            print("  ".join("-" * width for width in widths))


def stop_process(process: subprocess.Popen[Any]) -> None:
    """SIGTERM, as an operator stops the bot; kill only if it does not exit in time."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def latency_rows(
    methods: dict[str, dict[str, Any]], labels: dict[str, str] | None = None
) -> list[list[object]]:
    """One row per method: n, p50, p99, both as a ratio to ours, top-1 accuracy."""
    ours = methods["ours"]
    return [
        [
            (labels or {}).get(method, method),
            m["n"],
            f"{m['p50_ms']:.3f}",
            f"{m['p99_ms']:.3f}",
            f"{m['p50_ms'] / ours['p50_ms']:.1f}x",
            f"{m['p99_ms'] / ours['p99_ms']:.1f}x",
            f"{m['accuracy']:.1%}",
        ]
        for method, m in methods.items()
    ]
