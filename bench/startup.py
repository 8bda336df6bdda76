"""Start-up time and peak memory of `python -m bot run` with the shipped FAQ (lexical only).

Start-up is the time from Popen to the first getUpdates request the fake Bot API (127.0.0.1)
receives: interpreter, imports, knowledge loading and validation, the matcher's index, getMe,
setMyCommands. Peak memory is the process's VmHWM (peak resident set) from /proc, read after
it has answered a batch of questions (so the matcher and the HTTP client have done real work),
just before SIGTERM.

Baselines, run alternately with the bot in every repetition: the echo bot of
bench/bots.py (python-telegram-bot polling, one handler, same questions), and a bare
`python -c "import telegram.ext"` for the memory floor of the library alone.

    .venv/bin/python bench/startup.py [--quick] [--json PATH]
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

REPEATS = 5
QUESTIONS = 30
TIMEOUT = 60.0


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def launch(kind: str, questions: list[str]) -> dict[str, float]:
    """One cold start of the bot or the echo bot: seconds to first getUpdates, peak RSS."""
    with FakeBotAPI() as api, tempfile.TemporaryDirectory() as tmp:
        data_dir = str(Path(tmp) / "data")
        if kind == "bot":
            command = [sys.executable, "-m", "bot", "run"]
        else:
            command = [sys.executable, str(benchlib.BENCH / "bots.py"), "echo", "--limiter", "on"]
            command += ["--base-url", api.base_url, "--token", api.token, "--data-dir", data_dir]
        env = {k: v for k, v in os.environ.items() if k not in ("KNOWLEDGE_DIR", "WEBHOOK_URL")}
        # The lexical bot, as before the semantic tier: bench/semantic_tier.py measures the
        # tier's start-up (cold and warm cache) and memory against this same configuration.
        env.update(
            TELEGRAM_BOT_TOKEN=api.token,
            TELEGRAM_API_BASE_URL=api.base_url,
            DATA_DIR=data_dir,
            SEMANTIC="off",
        )
        log_path = Path(tmp) / "process.log"
        with log_path.open("wb") as log:
            start = time.time()  # the fake stamps requests with time.time() too
            process = subprocess.Popen(
                command, cwd=benchlib.REPO, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        try:
            api.wait_for("getUpdates", timeout=TIMEOUT, include_failed=True)
            first_poll = api.request_log("getUpdates")[0]["time"]
            for i, question in enumerate(questions):
                api.private_text(question, user_id=700_000 + i)
            api.wait_for("sendMessage", count=len(questions), timeout=TIMEOUT)
            peak_kb = _status_kb(process.pid, "VmHWM")
            rss_kb = _status_kb(process.pid, "VmRSS")
        except Exception:
            sys.stderr.write(log_path.read_text(errors="replace")[-3000:])
            raise
        finally:
            benchlib.stop_process(process)
    return {"startup_s": first_poll - start, "peak_rss_mb": peak_kb / 1024, "rss_mb": rss_kb / 1024}


def import_floor() -> dict[str, float]:
    """Peak RSS and wall time of an interpreter that only imports telegram.ext."""
    code = (
        "import telegram.ext\n"
        "for line in open('/proc/self/status'):\n"
        "    if line.startswith('VmHWM:'): print(line.split()[1])\n"
    )
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return {"seconds": time.perf_counter() - start, "peak_rss_mb": int(out) / 1024}


def measure(repeats: int) -> dict[str, Any]:
    cases = load_eval(REPO_KNOWLEDGE_DIR / "eval.yaml").cases
    questions = [case.question for case in cases][:QUESTIONS]
    runs: dict[str, list[dict[str, float]]] = {"bot": [], "echo": [], "import": []}
    for index in range(repeats):
        for kind in ("bot", "echo") if index % 2 == 0 else ("echo", "bot"):
            runs[kind].append(launch(kind, questions))
        runs["import"].append(import_floor())
        bot, echo = runs["bot"][-1], runs["echo"][-1]
        print(
            f"  run {index + 1}: bot {bot['startup_s']:.2f} s {bot['peak_rss_mb']:.1f} MB; "
            f"echo {echo['startup_s']:.2f} s {echo['peak_rss_mb']:.1f} MB; "
            f"import telegram.ext {runs['import'][-1]['peak_rss_mb']:.1f} MB",
            flush=True,
        )

    def med(kind: str, key: str) -> float:
        return benchlib.median([run[key] for run in runs[kind]])

    return {
        "repeats": repeats,
        "questions_answered_before_reading_memory": len(questions),
        "bot": {"startup_s": med("bot", "startup_s"), "peak_rss_mb": med("bot", "peak_rss_mb")},
        "echo": {
            "startup_s": med("echo", "startup_s"),
            "peak_rss_mb": med("echo", "peak_rss_mb"),
        },
        "import_telegram_ext": {
            "seconds": med("import", "seconds"),
            "peak_rss_mb": med("import", "peak_rss_mb"),
        },
        "runs": runs,
    }


def targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    bot, echo, floor = result["bot"], result["echo"], result["import_telegram_ext"]
    return [
        {
            "figure": "start-up, process start to first getUpdates (shipped FAQ, SEMANTIC=off)",
            "value": f"{bot['startup_s']:.2f} s",
            "baseline": f"echo bot: {echo['startup_s']:.2f} s",
            "ratio": f"{bot['startup_s'] / echo['startup_s']:.1f}x echo",
            "target": "< 2 s",
            "pass": bot["startup_s"] < 2.0,
        },
        {
            "figure": "peak memory, VmHWM (shipped FAQ, SEMANTIC=off)",
            "value": f"{bot['peak_rss_mb']:.1f} MB",
            "baseline": f"echo bot: {echo['peak_rss_mb']:.1f} MB; "
            f"import telegram.ext: {floor['peak_rss_mb']:.1f} MB",
            "ratio": f"{bot['peak_rss_mb'] / echo['peak_rss_mb']:.2f}x echo",
            "target": "< 120 MB",
            "pass": bot["peak_rss_mb"] < 120.0,
        },
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one repetition")
    parser.add_argument("--json", help="where to write the results (default bench/out/)")
    args = parser.parse_args()
    repeats = 1 if args.quick else REPEATS
    print(f"startup: {repeats} repetitions, bot and echo bot alternating")
    result = measure(repeats)
    rows = targets(result)
    for row in rows:
        verdict = "PASS" if row["pass"] else "FAIL"
        print(
            f"{verdict}: {row['figure']}: {row['value']} vs {row['baseline']} "
            f"({row['ratio']}); target {row['target']}"
        )
    path = benchlib.write_json("startup", {"quick": args.quick, **result, "rows": rows}, args.json)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
