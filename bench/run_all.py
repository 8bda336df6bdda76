"""Runs every benchmark and (re)writes bench/RESULTS.md.

Each benchmark runs as its own process (a clean interpreter: no warm caches or memory carried
from one to the next) and leaves its raw figures in bench/out/*.json; this script turns them
into RESULTS.md: every figure with its baseline, the ratio, the target and PASS/FAIL.

    .venv/bin/python bench/run_all.py [--quick]
    .venv/bin/python bench/run_all.py --rewrite   # RESULTS.md again from bench/out/, no runs

Everything talks to 127.0.0.1 only (the fake Bot API). Takes about 8 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import benchlib

SCRIPTS = ("matching_latency", "throughput", "startup", "scale", "semantic_cv", "semantic_tier")
RESULTS = benchlib.BENCH / "RESULTS.md"


def run(name: str, quick: bool) -> dict[str, Any]:
    path = benchlib.OUT / f"{name}.json"
    command = [sys.executable, str(benchlib.BENCH / f"{name}.py"), "--json", str(path)]
    if quick:
        command.append("--quick")
    print(f"\n=== {name} ===", flush=True)
    started = time.perf_counter()
    completed = subprocess.run(command, cwd=benchlib.REPO)
    seconds = time.perf_counter() - started
    if completed.returncode != 0 and not path.exists():
        return {"error": f"exited with {completed.returncode}", "seconds": seconds}
    data = json.loads(path.read_text())
    data["seconds"] = seconds
    if completed.returncode != 0:
        data["error"] = f"exited with {completed.returncode}"
    return data


def _verdict(row: dict[str, Any]) -> str:
    if not row["target"]:
        return f"({row['info']})" if row.get("info") else ""
    return "**PASS**" if row["pass"] else "**FAIL**"


def _table(headers: list[str], rows: list[list[object]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines


def _rows_table(rows: list[dict[str, Any]]) -> list[str]:
    return _table(
        ["Figure", "Value", "Baseline", "Ratio", "Target", "Result"],
        [
            [r["figure"], r["value"], r["baseline"], r["ratio"], r["target"], _verdict(r)]
            for r in rows
        ],
    )


def matching_section(data: dict[str, Any]) -> list[str]:
    lines = ["## Matching latency and accuracy (`bench/matching_latency.py`)", ""]
    for name, res in data["results"].items():
        lines += [
            f"### {name}: {res['entries']} entries, {res['phrasings']} phrasings",
            "",
            f"Queries: {res['queries']} ({res['query_source']}), each timed in "
            f"{res['rounds']} rounds with every method back to back; latency per query = "
            f"median over rounds; p50/p99 over queries. difflib: {res['difflib_queries']} of "
            f"those queries, {res['difflib_rounds']} round(s). Matcher build: "
            f"{res['build_ms']:.1f} ms (median, reported separately).",
            "",
        ]
        labels = {
            "ours": "**Matcher.rank** (ours)",
            "rapidfuzz": "rapidfuzz extractOne, token_set_ratio, default_process",
            "rapidfuzz_pre": "same, phrasings pre-processed once (1 round)",
            "difflib": "difflib SequenceMatcher.ratio, best phrasing",
        }
        rows = benchlib.latency_rows(res["methods"], labels)
        lines += _table(
            ["Method", "n", "p50 ms", "p99 ms", "p50 / ours", "p99 / ours", "top-1 accuracy"],
            rows,
        )
        lines += [
            "",
            f"Ours on difflib's {res['difflib_queries']} queries: "
            f"{res['methods']['difflib']['ours_accuracy_same_queries']:.1%} top-1.",
            "",
        ]
    return lines


def throughput_section(data: dict[str, Any]) -> list[str]:
    summary = data["summary"]
    labels = {
        "echo-nolimiter": "echo bot, no rate limiter",
        "rich-nolimiter": "echo bot sending the real bot's messages, no rate limiter",
        "bot-nolimiter": "**real bot**, no rate limiter",
        "echo-limiter": "echo bot, AIORateLimiter",
        "bot-limiter": "**real bot**, AIORateLimiter (as shipped)",
        "echo-latency": f"echo bot, {data['latency_ms']:.0f} ms per sendMessage, no limiter",
        "bot-latency": f"**real bot**, {data['latency_ms']:.0f} ms per sendMessage, no limiter",
    }
    rows = []
    for key, label in labels.items():
        if key in summary:
            runs = ", ".join(f"{r['updates_per_s']:.0f}" for r in summary[key]["runs"])
            rows.append(
                [
                    label,
                    f"{summary[key]['updates_per_s']:.1f}",
                    runs,
                    f"{summary[key]['cpu_ms_per_update']:.2f}",
                ]
            )
    stages = data["stages"]
    lines = [
        "## End-to-end throughput (`bench/throughput.py`)",
        "",
        f"Each run: a fresh bot process polling a fresh fake Bot API on 127.0.0.1, 20 warm-up "
        f"updates, then {data['count']} private questions from eval.yaml ({data['limited_count']} "
        f"with the rate limiter, {data['latency_count']} with the slow fake) queued at once over "
        f"50 users; time from queueing to the last reply's arrival. {data['rounds']} rounds, "
        "order alternating; median.",
        "",
        *_table(["Configuration", "updates/s (median)", "runs", "bot CPU ms/update"], rows),
        "",
        "The bot's own work per update, timed in-process on the same questions (mean ms): "
        + ", ".join(f"{k} {v:.3f}" for k, v in stages.items())
        + f" (total {sum(stages.values()):.2f} ms; answer = safety screening + matching).",
        "",
    ]
    return lines


def startup_section(data: dict[str, Any]) -> list[str]:
    runs = data["runs"]
    rows = [
        [
            "`python -m bot run` (shipped FAQ, SEMANTIC=off)",
            f"{data['bot']['startup_s']:.2f}",
            ", ".join(f"{r['startup_s']:.2f}" for r in runs["bot"]),
            f"{data['bot']['peak_rss_mb']:.1f}",
        ],
        [
            "echo bot (bench/bots.py echo)",
            f"{data['echo']['startup_s']:.2f}",
            ", ".join(f"{r['startup_s']:.2f}" for r in runs["echo"]),
            f"{data['echo']['peak_rss_mb']:.1f}",
        ],
        [
            '`python -c "import telegram.ext"`',
            f"({data['import_telegram_ext']['seconds']:.2f} to exit)",
            "",
            f"{data['import_telegram_ext']['peak_rss_mb']:.1f}",
        ],
    ]
    return [
        "## Start-up and peak memory (`bench/startup.py`)",
        "",
        f"{data['repeats']} cold starts each, alternating; start-up = Popen to the first "
        f"getUpdates the fake Bot API receives; peak memory = VmHWM after answering "
        f"{data['questions_answered_before_reading_memory']} questions, read just before "
        f"SIGTERM. Medians.",
        "",
        *_table(["Process", "start-up s (median)", "runs", "peak RSS MB (median)"], rows),
        "",
    ]


def scale_section(data: dict[str, Any]) -> list[str]:
    rows = []
    for size, figures in data["sizes"].items():
        rows.append(
            [
                size,
                f"{figures['csafe']:.2f} ({figures['csafe_cpu']:.2f})",
                f"{figures['load']:.2f} ({figures['load_cpu']:.2f})",
                f"{figures['load_index']:.2f} ({figures['load_index_cpu']:.2f})",
                f"{figures['load'] / figures['csafe']:.2f}x",
                f"{figures['load_index'] / figures['csafe']:.2f}x",
            ]
        )
    lines = [
        "## A large FAQ: loading and ranking (`bench/scale.py`)",
        "",
        "Generated entries (bench/generate.py, a question and 6 variants each) in YAML files of "
        "500, next to the shipped knowledge. Load times: medians of 3, the three loaders "
        "alternating in the same run; seconds wall-clock (CPU in brackets; the machine is "
        "shared).",
        "",
        *_table(
            [
                "entries",
                "CSafeLoader parse s",
                "load_knowledge s",
                "load + index s",
                "load / parse",
                "load + index / parse",
            ],
            rows,
        ),
        "",
    ]
    for size, figures in data["sizes"].items():
        rank = figures.get("rank_word_mix")
        if rank:
            lines += [
                f"Rank at {size} entries on {rank['n']} word-mix queries (2-6 words drawn from the "
                "FAQ's own phrasings by frequency, half inside a question template; median of 3 "
                f"rounds per query): p50 {rank['p50_ms']:.2f} ms, p99 {rank['p99_ms']:.2f} ms "
                f"wall-clock; CPU time p50 {rank['p50_cpu_ms']:.2f} ms, p99 "
                f"{rank['p99_cpu_ms']:.2f} ms.",
                "",
            ]
    return lines


def semantic_cv_section(data: dict[str, Any]) -> list[str]:
    rows = []
    for source, by_mode in data["totals"].items():
        for mode, res in by_mode.items():
            rows.append(
                [
                    source,
                    mode,
                    res["cases"],
                    f"{res['p_at_1']:.3f}",
                    f"{res['mrr']:.3f}",
                    res["right"],
                    res["wrong"],
                    res["open"],
                ]
            )
    final = data["final"]
    chosen = ", ".join(
        f"{k} {v:g}" for k, v in final.items() if k.startswith(("fusion", "agree", "semantic"))
    )
    return [
        "## Semantic tier: accuracy by cross-validation (`bench/semantic_cv.py`)",
        "",
        f"{data['folds']}-fold cross-validation over knowledge/eval.yaml, bench/rephrased.yaml "
        "and bench/chatty.yaml together: for each fold the thresholds are tuned on the other "
        f"folds (a wrong answer costs {data['wrong_cost']} right ones) and every figure below "
        "is on held-out folds "
        "only. Lexical = the engine without the tier; semantic = the model alone (its own "
        "answer bar, tuned the same way); cascade = the shipped decision. P@1/MRR: the "
        "expected entry's place in what the user is shown (the answer or the suggestions), "
        "then in the tier's ranking. Open: a covered question suggested or fallen back.",
        *(
            [
                "",
                f"{', '.join(data['scored_only'])}: paraphrases of the eval.yaml cases and the "
                "entries' questions made by rule (bench/paraphrases.py: word order, everyday-word "
                "swaps, contractions, filler, one typo, case and punctuation, statements for "
                'questions). Never tuned on, and not in "both": each is scored with the '
                "thresholds of the fold that held out the eval.yaml case it was made from.",
            ]
            if data.get("scored_only")
            else []
        ),
        "",
        *_table(
            ["Set", "Tier", "n", "P@1", "MRR", "right", "wrong", "open"],
            rows,
        ),
        "",
        f"Tuned on all folds (engine.Thresholds): {chosen}.",
        "",
    ]


def semantic_tier_section(data: dict[str, Any]) -> list[str]:
    lat, start = data["latency"], data["startup"]
    rows = [
        [
            name,
            f"{lat[key]['p50_ms']:.2f}",
            f"{lat[key]['p99_ms']:.2f}",
            f"{start[skey]['startup_s']:.2f}",
            f"{start[skey]['peak_rss_mb']:.1f}",
        ]
        for name, key, skey in (
            ("lexical only (SEMANTIC=off)", "lexical", "lexical"),
            ("with the tier, cold cache", "tier", "cold"),
            ("with the tier, warm cache", "tier", "warm"),
        )
    ]
    return [
        "## Semantic tier: latency, memory, start-up (`bench/semantic_tier.py`)",
        "",
        f"Latency: Engine.answer in-process on {lat['questions']} questions, both engines back "
        f"to back on each, {lat['rounds']} rounds, median per question. Start-up: `bot run` "
        "to the first getUpdates of the fake Bot API; peak RSS (VmHWM) after "
        f"{start['questions_answered_before_reading_memory']} questions; {start['repeats']} "
        "starts of each, alternating; medians.",
        "",
        *_table(
            ["Configuration", "p50 ms", "p99 ms", "start-up s", "peak RSS MB"],
            rows,
        ),
        "",
    ]


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=benchlib.REPO, capture_output=True, text=True, check=True
    ).stdout


def code_state() -> str:
    """The commit measured, and any uncommitted changes to it outside bench/ (read-only git)."""
    try:
        head = _git("rev-parse", "--short", "HEAD").strip()
        status = _git("status", "--porcelain", "--untracked-files=no").splitlines()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (no git)"
    changed = [line[3:] for line in status if not line[3:].startswith("bench/")]
    return f"commit {head}" + (
        f" plus uncommitted changes to {', '.join(changed)}" if changed else ""
    )


def load_average() -> str:
    try:
        return " / ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def write_results(results: dict[str, dict[str, Any]], meta: dict[str, Any]) -> None:
    machine = benchlib.machine()
    lines = [
        "# Benchmark results",
        "",
        f"Written by `bench/run_all.py{' --quick' if meta['quick'] else ''}` on "
        f"{meta['date']} in {meta['seconds']:.0f} s. Machine: {machine['nproc']} cores, "
        f"{machine['cpu']}, Python {machine['python']}, {machine['platform']}. Load average "
        f"(1/5/15 min) before: {meta['load_before']}, after: {meta['load_after']} (the machine "
        "is shared: every figure is measured side by side with its baseline in the same run, "
        "and ratios are steadier than absolute numbers).",
        "",
        f"Code measured: {meta['code']}.",
        "",
    ]
    if meta["quick"]:
        lines += ["**Quick run: too few repetitions for the figures to mean much.**", ""]
    all_rows = [row for data in results.values() for row in data.get("rows", [])]
    target_rows = [row for row in all_rows if row["target"]]
    passed = sum(1 for row in target_rows if row["pass"])
    # Rows marked "info" are shown next to the targets for context; they are not counted.
    shown = [row for row in all_rows if row["target"] or row.get("info")]
    lines += [
        f"## Targets: {passed} of {len(target_rows)} pass",
        "",
        *_rows_table(shown),
        "",
    ]
    for name, data in results.items():
        if "error" in data:
            lines += [f"**{name} failed: {data['error']}**", ""]
    lines += ["## Every figure", "", *_rows_table(all_rows), ""]
    if "results" in results.get("matching_latency", {}):
        lines += matching_section(results["matching_latency"])
    if "summary" in results.get("throughput", {}):
        lines += throughput_section(results["throughput"])
    if "bot" in results.get("startup", {}):
        lines += startup_section(results["startup"])
    if "sizes" in results.get("scale", {}):
        lines += scale_section(results["scale"])
    if "totals" in results.get("semantic_cv", {}):
        lines += semantic_cv_section(results["semantic_cv"])
    if "latency" in results.get("semantic_tier", {}):
        lines += semantic_tier_section(results["semantic_tier"])
    notes = benchlib.BENCH / "NOTES.md"
    if notes.exists():  # the analysis (where the time goes), written by hand
        lines += [notes.read_text().rstrip(), ""]
    RESULTS.write_text("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke test: few repetitions")
    parser.add_argument(
        "--rewrite", action="store_true", help="rewrite RESULTS.md from the last run's JSON"
    )
    args = parser.parse_args()
    meta_path = benchlib.OUT / "run_all.json"
    if args.rewrite:  # e.g. after editing NOTES.md
        meta = json.loads(meta_path.read_text())
        write_results(
            {n: json.loads((benchlib.OUT / f"{n}.json").read_text()) for n in SCRIPTS}, meta
        )
        print(f"rewrote {RESULTS.relative_to(benchlib.REPO)}")
        return
    load_before, code = load_average(), code_state()  # as measured, before anything runs
    started = time.perf_counter()
    results = {name: run(name, args.quick) for name in SCRIPTS}
    meta = {
        "date": benchlib.machine()["date"],
        "code": code,
        "quick": args.quick,
        "seconds": time.perf_counter() - started,
        "load_before": load_before,
        "load_after": load_average(),
    }
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    write_results(results, meta)
    print(f"\nwrote {RESULTS.relative_to(benchlib.REPO)} in {meta['seconds']:.0f} s")
    if any("error" in data for data in results.values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
