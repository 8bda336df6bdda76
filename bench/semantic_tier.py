"""What the semantic tier costs: latency per question, peak memory, start-up (cold and warm cache).

Latency: Engine.answer in-process on every question of eval.yaml and bench/rephrased.yaml, the
lexical engine and the engine with the tier timed back to back on each question, ROUNDS rounds;
per question the median over rounds, then p50/p99 over questions.

Start-up and memory: `python -m bot run` against the fake Bot API on 127.0.0.1, as
bench/startup.py measures it (Popen to the first getUpdates; VmHWM after answering 30
questions), in three configurations run alternately: SEMANTIC=off (the baseline), the tier with
an empty DATA_DIR (cold: every phrasing is embedded) and the tier with the DATA_DIR the cold run
left (warm: the cache holds every phrasing).

    .venv/bin/python bench/semantic_tier.py [--quick] [--json PATH]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import benchlib

from bot.engine import Engine
from bot.knowledge import load_eval, load_knowledge
from bot.semantic import load_semantic
from tests.fakebotapi import FakeBotAPI

REPO_KNOWLEDGE_DIR = Path(__file__).resolve().parent.parent / "knowledge"

ROUNDS = 5
REPEATS = 3
QUESTIONS = 30
TIMEOUT = 120.0
SETS = (REPO_KNOWLEDGE_DIR / "eval.yaml", benchlib.BENCH / "rephrased.yaml")


def questions() -> list[str]:
    return [case.question for path in SETS for case in load_eval(path).cases]


def latency(rounds: int) -> dict[str, Any]:
    knowledge = load_knowledge(REPO_KNOWLEDGE_DIR)
    with tempfile.TemporaryDirectory() as tmp:
        model = load_semantic(Path(tmp))
        if model is None:
            sys.exit("semantic_tier: the semantic extra is not installed")
        engines = {"lexical": Engine(knowledge), "tier": Engine(knowledge, semantic=model)}
    asked = questions()
    for engine in engines.values():  # warm-up: first calls pay lazy initialisation
        for question in asked[:20]:
            engine.answer(question)
    timings: dict[str, list[list[float]]] = {name: [[] for _ in asked] for name in engines}
    for round_index in range(rounds):
        order = list(engines) if round_index % 2 == 0 else list(reversed(engines))
        for index, question in enumerate(asked):
            for name in order:
                started = time.perf_counter_ns()
                engines[name].answer(question)
                timings[name][index].append(benchlib.ms(time.perf_counter_ns() - started))
    out: dict[str, Any] = {"questions": len(asked), "rounds": rounds}
    for name, per_question in timings.items():
        medians = [benchlib.median(values) for values in per_question]
        out[name] = {
            "p50_ms": benchlib.percentile(medians, 50),
            "p99_ms": benchlib.percentile(medians, 99),
        }
    return out


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def launch(data_dir: Path, semantic: bool, asked: list[str]) -> dict[str, float]:
    """One start of `python -m bot run`: seconds to the first getUpdates, and peak RSS."""
    with FakeBotAPI() as api, tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if k not in ("KNOWLEDGE_DIR", "WEBHOOK_URL")}
        env.update(
            TELEGRAM_BOT_TOKEN=api.token,
            TELEGRAM_API_BASE_URL=api.base_url,
            DATA_DIR=str(data_dir),
            SEMANTIC="on" if semantic else "off",
        )
        log_path = Path(tmp) / "process.log"
        with log_path.open("wb") as log:
            start = time.time()  # the fake stamps requests with time.time() too
            process = subprocess.Popen(
                [sys.executable, "-m", "bot", "run"],
                cwd=benchlib.REPO,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            api.wait_for("getUpdates", timeout=TIMEOUT, include_failed=True)
            first_poll = api.request_log("getUpdates")[0]["time"]
            for i, question in enumerate(asked):
                api.private_text(question, user_id=800_000 + i)
            api.wait_for("sendMessage", count=len(asked), timeout=TIMEOUT)
            peak_kb = _status_kb(process.pid, "VmHWM")
        except Exception:
            sys.stderr.write(log_path.read_text(errors="replace")[-3000:])
            raise
        finally:
            benchlib.stop_process(process)
    return {"startup_s": first_poll - start, "peak_rss_mb": peak_kb / 1024}


def starts(repeats: int) -> dict[str, Any]:
    asked = questions()[:QUESTIONS]
    runs: dict[str, list[dict[str, float]]] = {"lexical": [], "cold": [], "warm": []}
    for index in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            data_dir = Path(tmp) / "data"
            lexical_dir = Path(tmp) / "lexical"
            if index % 2:
                runs["lexical"].append(launch(lexical_dir, False, asked))
            runs["cold"].append(launch(data_dir, True, asked))
            runs["warm"].append(launch(data_dir, True, asked))
            if not index % 2:
                runs["lexical"].append(launch(lexical_dir, False, asked))
            shutil.rmtree(data_dir, ignore_errors=True)
        print(
            f"  run {index + 1}: "
            + "; ".join(
                f"{name} {r[-1]['startup_s']:.2f} s {r[-1]['peak_rss_mb']:.0f} MB"
                for name, r in runs.items()
            ),
            flush=True,
        )
    return {
        name: {
            "startup_s": benchlib.median([r["startup_s"] for r in values]),
            "peak_rss_mb": benchlib.median([r["peak_rss_mb"] for r in values]),
            "runs": values,
        }
        for name, values in runs.items()
    } | {"repeats": repeats, "questions_answered_before_reading_memory": len(asked)}


def targets(lat: dict[str, Any], start: dict[str, Any]) -> list[dict[str, Any]]:
    lex, tier = lat["lexical"], lat["tier"]
    return [
        {
            "figure": f"answer p50 latency with the semantic tier (n={lat['questions']})",
            "value": f"{tier['p50_ms']:.2f} ms",
            "baseline": f"lexical only: {lex['p50_ms']:.2f} ms",
            "ratio": f"+{tier['p50_ms'] - lex['p50_ms']:.2f} ms",
            "target": "",
            "pass": True,
        },
        {
            "figure": f"answer p99 latency with the semantic tier (n={lat['questions']})",
            "value": f"{tier['p99_ms']:.2f} ms",
            "baseline": f"lexical only: {lex['p99_ms']:.2f} ms",
            "ratio": f"+{tier['p99_ms'] - lex['p99_ms']:.2f} ms",
            "target": "<= 25 ms",
            "pass": tier["p99_ms"] <= 25.0,
        },
        {
            "figure": "peak memory (VmHWM) of `bot run` with the semantic tier",
            "value": f"{start['warm']['peak_rss_mb']:.1f} MB",
            "baseline": f"SEMANTIC=off: {start['lexical']['peak_rss_mb']:.1f} MB; "
            f"cold cache: {start['cold']['peak_rss_mb']:.1f} MB",
            "ratio": f"+{start['warm']['peak_rss_mb'] - start['lexical']['peak_rss_mb']:.0f} MB",
            "target": "<= 350 MB (<= 80 MB without)",
            "pass": max(start["warm"]["peak_rss_mb"], start["cold"]["peak_rss_mb"]) <= 350.0
            and start["lexical"]["peak_rss_mb"] <= 80.0,
        },
        {
            "figure": "start-up to first getUpdates with the tier, warm cache",
            "value": f"{start['warm']['startup_s']:.2f} s",
            "baseline": f"SEMANTIC=off: {start['lexical']['startup_s']:.2f} s",
            "ratio": f"+{start['warm']['startup_s'] - start['lexical']['startup_s']:.2f} s",
            "target": "< 3 s",
            "pass": start["warm"]["startup_s"] < 3.0,
        },
        {
            "figure": "start-up to first getUpdates with the tier, cold cache (embeds every phrasing)",
            "value": f"{start['cold']['startup_s']:.2f} s",
            "baseline": f"SEMANTIC=off: {start['lexical']['startup_s']:.2f} s",
            "ratio": f"+{start['cold']['startup_s'] - start['lexical']['startup_s']:.2f} s",
            "target": "",
            "pass": True,
        },
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one repetition, one round")
    parser.add_argument("--json", help="where to write the results (default bench/out/)")
    args = parser.parse_args()
    lat = latency(1 if args.quick else ROUNDS)
    print(
        f"latency p50/p99 ms: lexical {lat['lexical']['p50_ms']:.2f}/{lat['lexical']['p99_ms']:.2f}"
        f", tier {lat['tier']['p50_ms']:.2f}/{lat['tier']['p99_ms']:.2f}",
        flush=True,
    )
    start = starts(1 if args.quick else REPEATS)
    rows = targets(lat, start)
    for row in rows:
        verdict = "PASS" if row["pass"] else "FAIL"
        print(f"{verdict}: {row['figure']}: {row['value']} vs {row['baseline']}")
    path = benchlib.write_json(
        "semantic_tier",
        {"quick": args.quick, "latency": lat, "startup": start, "rows": rows},
        args.json,
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
