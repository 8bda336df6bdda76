"""End-to-end throughput: updates/s through python-telegram-bot against the local fake Bot API.

The real bot (bot.telegram.app.build_application with the shipped knowledge, production
settings, a temporary DATA_DIR) and a minimal echo bot (one MessageHandler that replies with
the same text) each run as their own process (bench/bots.py), polling a FakeBotAPI that lives in this
process on 127.0.0.1, as a real bot polls Telegram. Per run: start a fresh bot process, wait
for its first getUpdates, send a warm-up batch and wait for its replies, then queue K private
text questions at once (the eval.yaml questions, cycled, spread over 50 users so the per-user
flood control of 20 messages a minute never triggers) and time until the fake has received
the K-th reply. Runs alternate echo / bot, 5 rounds, median reported.

Two configurations:
- without a rate limiter on either bot: the fair comparison of the work per update;
- with python-telegram-bot's AIORateLimiter on both, as the bot ships: it deliberately holds
  sends to Telegram's documented limit of 30 messages a second overall, so both are capped.

With a round trip: the same two bots against a fake whose sendMessage takes 30 ms, as over
the internet (the local fake answers in well under a millisecond, so the runs above measure
CPU per update; real Telegram makes a bot wait on the network instead).

For the breakdown, also: a "rich" echo bot that sends the real bot's messages (HTML, buttons)
prepared in advance (bench/bots.py), and the bot's own per-update stages timed in-process
(answer = safety screening + matching, render, keyboard, SQLite record).

    .venv/bin/python bench/throughput.py [--quick] [--json PATH]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import benchlib

from bot.knowledge import load_eval
from tests.fakebotapi import FakeBotAPI

REPO_KNOWLEDGE_DIR = Path(__file__).resolve().parent.parent / "knowledge"

USERS = 50
LATENCY = 0.030  # seconds per sendMessage in the "latency" configuration: a Bot API round trip
LATENCY_COUNT = 100
USER_BASE = 500_000
WARMUP = 20
ROUNDS = 5  # the machine is shared: medians of 5 alternating rounds move less than of 3
COUNT = 500  # updates per run without the rate limiter
LIMITED_COUNT = 150  # with it: 30 msgs/s means ~5 s a run
TIMEOUT = 120.0


class LatentBotAPI(FakeBotAPI):
    """The fake Bot API, with every sendMessage taking LATENCY seconds as over the internet."""

    def _m_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        time.sleep(LATENCY)  # in the server's request thread, outside the fake's lock
        return super()._m_sendMessage(params)


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _sent_count(api: FakeBotAPI) -> int:
    # The fake's own list, read without a copy: wait_for() rescans the whole request log on
    # every request, which in this process would compete with the fake server for the GIL.
    return len(api._sent)


def _wait_sent(api: FakeBotAPI, count: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + TIMEOUT
    while _sent_count(api) < count:
        if process.poll() is not None:
            raise RuntimeError(f"bot process exited with {process.returncode}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {_sent_count(api)} of {count} replies in {TIMEOUT} s")
        time.sleep(0.002)


def run_once(
    kind: str,
    limiter: bool,
    questions: list[str],
    count: int,
    profile: str | None = None,
    latent: bool = False,
) -> dict[str, float]:
    env = {**os.environ, "BENCH_PROFILE": profile} if profile else None
    api_class = LatentBotAPI if latent else FakeBotAPI
    with api_class() as api, tempfile.TemporaryDirectory() as tmp:
        log_path = Path(tmp) / "worker.log"
        with log_path.open("wb") as log:
            command = [sys.executable, str(benchlib.BENCH / "bots.py"), kind, "--limiter"]
            command += ["on" if limiter else "off", "--base-url", api.base_url]
            command += ["--token", api.token, "--data-dir", str(Path(tmp) / "data")]
            process = subprocess.Popen(
                command, cwd=benchlib.REPO, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        try:
            api.wait_for("getUpdates", timeout=TIMEOUT, include_failed=True)
            for i in range(WARMUP):  # warm caches, the connection pool, SQLite
                api.private_text(questions[i % len(questions)], user_id=USER_BASE - 1 - i)
            _wait_sent(api, WARMUP, process)
            cpu_before = _cpu_seconds(process.pid)
            start = time.time()
            for i in range(count):
                api.private_text(questions[i % len(questions)], user_id=USER_BASE + i % USERS)
            _wait_sent(api, WARMUP + count, process)
            cpu_after = _cpu_seconds(process.pid)
            sends = api.request_log("sendMessage")
            elapsed = sends[-1]["time"] - start  # the last reply's arrival at the fake
            failed = [s for s in sends if s["status"] != 200]
            if failed or len(sends) != WARMUP + count:
                raise RuntimeError(f"{len(failed)} failed / {len(sends)} sendMessage calls")
        except Exception:
            sys.stderr.write(log_path.read_text(errors="replace")[-3000:])
            raise
        finally:
            benchlib.stop_process(process)
    return {
        "updates": count,
        "seconds": elapsed,
        "updates_per_s": count / elapsed,
        "cpu_ms_per_update": (cpu_after - cpu_before) * 1000 / count,
    }


def measure(rounds: int, count: int, limited_count: int, latency_count: int) -> dict[str, Any]:
    cases = load_eval(REPO_KNOWLEDGE_DIR / "eval.yaml").cases
    questions = [case.question for case in cases]  # answers, suggestions, fallbacks, crises
    runs: dict[str, list[dict[str, float]]] = {}
    plan = [("echo", False, count, False), ("bot", False, count, False)]
    plan += [("rich", False, count, False)]
    plan += [("echo", True, limited_count, False), ("bot", True, limited_count, False)]
    plan += [("echo", False, latency_count, True), ("bot", False, latency_count, True)]
    for round_index in range(rounds):
        # Alternate the order each round, so drift in machine load hits both sides alike.
        for kind, limiter, n, latent in plan if round_index % 2 == 0 else plan[::-1]:
            key = f"{kind}-{'limiter' if limiter else 'latency' if latent else 'nolimiter'}"
            result = run_once(kind, limiter, questions, n, latent=latent)
            runs.setdefault(key, []).append(result)
            print(
                f"  round {round_index + 1} {key:16} {result['updates_per_s']:7.1f} updates/s"
                f"  {result['cpu_ms_per_update']:.2f} ms CPU/update",
                flush=True,
            )
    summary = {
        key: {
            "updates_per_s": benchlib.median([r["updates_per_s"] for r in values]),
            "cpu_ms_per_update": benchlib.median([r["cpu_ms_per_update"] for r in values]),
            "runs": values,
        }
        for key, values in runs.items()
    }
    return {
        "rounds": rounds,
        "count": count,
        "limited_count": limited_count,
        "latency_count": latency_count,
        "latency_ms": LATENCY * 1000,
        "summary": summary,
        "stages": stage_costs(questions),
    }


def stage_costs(questions: list[str], rounds: int = 5) -> dict[str, float]:
    """The bot's own work per update, timed in-process on the same questions (median ms)."""
    from types import SimpleNamespace

    from bot import render
    from bot.conversation import Conversation
    from bot.engine import Engine
    from bot.knowledge import load_knowledge
    from bot.store import Store
    from bot.telegram.keyboards import turn_keyboard
    from bot.telegram.replies import record

    engine = Engine(load_knowledge(REPO_KNOWLEDGE_DIR))
    times: dict[str, list[float]] = {"answer": [], "render": [], "keyboard": [], "record": []}
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.in_dir(Path(tmp))
        state = SimpleNamespace(store=store)  # record() only reads .store
        for _ in range(rounds):
            for question in questions:
                t0 = time.perf_counter_ns()
                reply = engine.answer(question)
                t1 = time.perf_counter_ns()
                render.html(reply)
                t2 = time.perf_counter_ns()
                turn = Conversation(engine).turn_for(reply, question=question)
                turn_keyboard(turn, feedback=True)
                t3 = time.perf_counter_ns()
                record(state, turn)  # type: ignore[arg-type]
                t4 = time.perf_counter_ns()
                for name, ns in zip(times, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
                    times[name].append(ns)
        store.close()
    # Means, not medians: throughput pays for every update, the slow ones included.
    return {name: benchlib.ms(sum(v) / len(v)) for name, v in times.items()}


def profile() -> None:
    """Where the CPU goes in each bot process (no rate limiter), as cProfile sees it."""
    import pstats

    questions = [case.question for case in load_eval(REPO_KNOWLEDGE_DIR / "eval.yaml").cases]
    benchlib.OUT.mkdir(parents=True, exist_ok=True)
    for kind in ("echo", "rich", "bot"):
        path = benchlib.OUT / f"throughput-{kind}.prof"
        run_once(kind, False, questions, COUNT, profile=str(path))
        print(f"\n=== {kind} bot: top functions by cumulative time ({path}) ===")
        pstats.Stats(str(path)).sort_stats("cumulative").print_stats(40)


def targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    summary = result["summary"]
    for mode, label in (("nolimiter", "no rate limiter"), ("limiter", "AIORateLimiter on both")):
        bot, echo = summary[f"bot-{mode}"], summary[f"echo-{mode}"]
        ratio = bot["updates_per_s"] / echo["updates_per_s"]
        primary = mode == "nolimiter"
        rows.append(
            {
                "figure": f"end-to-end throughput, {label}",
                "value": f"{bot['updates_per_s']:.1f} updates/s",
                "baseline": f"echo bot: {echo['updates_per_s']:.1f} updates/s",
                "ratio": f"{ratio:.0%} of echo",
                "target": ">= 80% of echo" if primary else ">= 80% of echo (both capped at 30/s)",
                "pass": ratio >= 0.8,
            }
        )
        rows.append(
            {
                "figure": f"bot process CPU per update, {label}",
                "value": f"{bot['cpu_ms_per_update']:.2f} ms",
                "baseline": f"echo bot: {echo['cpu_ms_per_update']:.2f} ms",
                "ratio": f"{bot['cpu_ms_per_update'] / echo['cpu_ms_per_update']:.1f}x echo",
                "target": "",
                "pass": None,
            }
        )
    latent_bot, latent_echo = summary["bot-latency"], summary["echo-latency"]
    rows.append(
        {
            "figure": f"throughput with {result['latency_ms']:.0f} ms per sendMessage (no limiter)",
            "value": f"{latent_bot['updates_per_s']:.1f} updates/s",
            "baseline": f"echo bot: {latent_echo['updates_per_s']:.1f} updates/s",
            "ratio": f"{latent_bot['updates_per_s'] / latent_echo['updates_per_s']:.0%} of echo",
            "target": "",
            "pass": None,
        }
    )
    # The bot and the echo bot of one round run back to back: their ratio shows how far the
    # machine's load moved the verdict between rounds.
    paired = [
        bot_run["updates_per_s"] / echo_run["updates_per_s"]
        for bot_run, echo_run in zip(
            summary["bot-nolimiter"]["runs"], summary["echo-nolimiter"]["runs"], strict=True
        )
    ]
    rows.append(
        {
            "figure": "end-to-end throughput, no rate limiter, bot / echo within each round",
            "value": ", ".join(f"{ratio:.0%}" for ratio in paired),
            "baseline": "the echo bot's run in the same round",
            "ratio": f"median {benchlib.median(paired):.0%}, "
            f"range {min(paired):.0%}-{max(paired):.0%}",
            "target": "",
            "pass": None,
        }
    )
    rich = summary["rich-nolimiter"]
    echo, bot = summary["echo-nolimiter"], summary["bot-nolimiter"]
    rows.append(
        {
            "figure": "end-to-end throughput, no rate limiter, against the rich echo bot",
            "value": f"{bot['updates_per_s']:.1f} updates/s",
            "baseline": f"echo bot sending the real bot's messages: "
            f"{rich['updates_per_s']:.1f} updates/s",
            "ratio": f"{bot['updates_per_s'] / rich['updates_per_s']:.0%} of rich echo",
            "target": "",
            "pass": None,
            "info": "information only, not a target",  # shown in the targets table
        }
    )
    rows.append(
        {
            "figure": "throughput of an echo bot sending the real bot's messages (no limiter)",
            "value": f"{rich['updates_per_s']:.1f} updates/s",
            "baseline": f"echo bot: {echo['updates_per_s']:.1f} updates/s",
            "ratio": f"{rich['updates_per_s'] / echo['updates_per_s']:.0%} of echo; "
            f"bot is {bot['updates_per_s'] / rich['updates_per_s']:.0%} of it",
            "target": "",
            "pass": None,
        }
    )
    stages = result["stages"]
    rows.append(
        {
            "figure": "bot's own work per update, in-process (mean)",
            "value": f"{sum(stages.values()):.2f} ms",
            "baseline": ", ".join(f"{k} {v:.3f} ms" for k, v in stages.items()),
            "ratio": "",
            "target": "",
            "pass": None,
        }
    )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 round, fewer updates")
    parser.add_argument("--json", help="where to write the results (default bench/out/)")
    parser.add_argument(
        "--profile", action="store_true", help="one run of each bot under cProfile (no timing)"
    )
    args = parser.parse_args()
    if args.profile:
        profile()
        return
    rounds, count, limited = (1, 100, 60) if args.quick else (ROUNDS, COUNT, LIMITED_COUNT)
    latency_count = 40 if args.quick else LATENCY_COUNT
    print(f"throughput: {rounds} rounds; {count} updates a run ({limited} with the limiter)")
    result = measure(rounds, count, limited, latency_count)
    rows = targets(result)
    benchlib.print_table(
        ["configuration", "updates/s (median)", "CPU ms/update"],
        [
            [key, f"{v['updates_per_s']:.1f}", f"{v['cpu_ms_per_update']:.2f}"]
            for key, v in sorted(result["summary"].items())
        ],
    )
    for row in rows:
        if row["target"]:
            verdict = "PASS" if row["pass"] else "FAIL"
            print(
                f"{verdict}: {row['figure']}: {row['value']} vs {row['baseline']} "
                f"({row['ratio']}); target {row['target']}"
            )
    path = benchlib.write_json(
        "throughput", {"quick": args.quick, **result, "rows": rows}, args.json
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
