"""The command line: a thin layer over the engine. Every command renders the same Reply."""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TextIO

from bot import maintenance, render, semantic
from bot.config import ConfigError, Settings, load_settings
from bot.conversation import Choices, Conversation, plain_text
from bot.engine import Engine
from bot.evaluation import EvalReport, run_eval
from bot.health import HEALTH_FILE, verdict_from_file
from bot.knowledge import KnowledgeError, load_eval, load_knowledge
from bot.reply import Reply, ReplyKind
from bot.store import DATABASE_FILE, NullStore, Store, open_store
from bot.validate import validate

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
TELEGRAM_HINT = (
    "Console chat (no TELEGRAM_BOT_TOKEN set). To put this bot on Telegram, get a token from "
    "@BotFather and run: TELEGRAM_BOT_TOKEN=... make run   (see README.md)"
)


def _load_engine(settings: Settings) -> Engine:
    return Engine(load_knowledge(settings.knowledge_dir), semantic=semantic.from_settings(settings))


def reply_json(reply: Reply) -> dict[str, object]:
    return {
        "kind": reply.kind.value,
        "risk": reply.risk.value,  # none | possible | crisis; crisis exactly when kind is crisis
        "entry_id": reply.entry_id,
        "score": reply.score,
        "text": render.text(reply),
        "sources": [{"title": s.title, "url": s.url} for s in reply.sources],
        "suggestions": [
            {"entry_id": s.entry_id, "question": s.question} for s in reply.suggestions
        ],
    }


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    if args.question is None and sys.stdin.isatty():
        print("error: give a question, or pipe questions in, one per line", file=sys.stderr)
        return EXIT_USAGE
    engine = _load_engine(settings)
    # No question on the command line: a batch for scripts, one question per line of stdin and
    # one reply per line (or per blank-line-separated block as text), in order.
    questions = [args.question] if args.question is not None else _lines(sys.stdin)
    for question in questions:
        reply = engine.answer(question)
        if args.json:
            print(json.dumps(reply_json(reply), ensure_ascii=False), flush=True)
        else:
            text = plain_text(Conversation(engine).turn_for(reply))
            print(text + ("" if args.question is not None else "\n"), flush=True)
    return EXIT_OK


def _lines(stdin: TextIO) -> Iterator[str]:
    for line in stdin:
        yield line.rstrip("\r\n")


def chat(engine: Engine, stdin: TextIO, stdout: TextIO, banner: str | None = None) -> int:
    """The console chat: the conversation every front end has, choices shown as numbers.

    The console keeps no question log, and its /start says so."""
    interactive = stdin.isatty()
    conversation = Conversation(engine, question_log_days=None)
    if banner:
        print(banner, file=stdout)
    print(plain_text(conversation.start()), file=stdout)
    print("\nType a question, a number to open a choice, /topics, /help, or /quit.\n", file=stdout)
    pending: Choices = ()
    while True:
        if interactive:
            print("> ", end="", file=stdout, flush=True)
        line = stdin.readline()
        if not line:
            return EXIT_OK
        message = line.strip()
        if not message:
            continue
        if message in ("/quit", "/exit", "quit", "exit"):
            return EXIT_OK
        turn, pending = conversation.respond(pending, message)
        print(plain_text(turn) + "\n", file=stdout, flush=True)


def cmd_chat(args: argparse.Namespace, settings: Settings, banner: str | None = None) -> int:
    engine = _load_engine(settings)
    try:
        return chat(engine, sys.stdin, sys.stdout, banner)
    except KeyboardInterrupt:
        print(file=sys.stdout)
        return EXIT_OK


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    settings.require_token()
    from bot.telegram.app import run_bot  # imported here: the console never needs Telegram

    return run_bot(settings)


def cmd_start(args: argparse.Namespace, settings: Settings) -> int:
    """`make run`: Telegram when a token is set, otherwise the console chat."""
    if settings.token:
        return cmd_run(args, settings)
    return cmd_chat(args, settings, banner=TELEGRAM_HINT)


def cmd_validate(args: argparse.Namespace, settings: Settings) -> int:
    directory = args.directory or settings.knowledge_dir
    result = validate(directory)
    for warning in result.warnings:
        print(warning)
    if result.ok:  # warnings alone: the knowledge loads, exit 0
        assert result.knowledge is not None
        count = len(result.knowledge.entries)
        extra = f", {len(result.warnings)} warning(s)" if result.warnings else ""
        print(f"{directory}: OK ({count} entries, {len(result.knowledge.sources)} sources{extra})")
        return EXIT_OK
    for problem in result.problems:
        print(problem)
    print(f"{len(result.problems)} problem(s)", file=sys.stderr)
    return EXIT_FAILED


def print_eval(report: EvalReport, stdout: TextIO) -> None:
    failures = report.failures
    if failures:
        print(f"{'expected':28} {'got':34} {'score':>6}  question", file=stdout)
        for result in failures:
            got = result.entry_id if result.kind is ReplyKind.ANSWER else result.kind.value
            score = f"{result.score:.1f}" if result.score is not None else "-"
            print(
                f"{result.expected_text:28} {got or '-':34} {score:>6}  {result.question}",
                file=stdout,
            )
        print(file=stdout)
    for name, value in report.figures.items():
        print(f"{name:20} {value}", file=stdout)
    verdict = "PASS" if report.passed else "FAIL"
    print(
        f"{verdict}: accuracy {report.figures['accuracy']:.2%} (minimum {report.min_accuracy:.0%})",
        file=stdout,
    )


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    engine = _load_engine(settings)
    cases = Path(args.cases) if args.cases else engine.knowledge.directory / "eval.yaml"
    report = run_eval(engine, load_eval(cases, known_ids=set(engine.knowledge.entry_by_id)))
    if args.json:
        failures = [
            {
                "question": r.question,
                "expect": list(r.accepted) if len(r.accepted) > 1 else r.expect,
                "kind": r.kind.value,
                "entry_id": r.entry_id,
                "score": r.score,
            }
            for r in report.failures
        ]
        print(
            json.dumps(
                {**report.figures, "min_accuracy": report.min_accuracy, "failures": failures}
            )
        )
    else:
        print_eval(report, sys.stdout)
    return EXIT_OK if report.passed else EXIT_FAILED


def _open_store(settings: Settings) -> Store | None:
    """The bot's store, or None when the bot has not run here yet (nothing to read)."""
    local = settings.question_log and not settings.database_url
    if local and not (settings.data_dir / DATABASE_FILE).exists():
        return None
    return open_store(
        settings.data_dir, settings.question_log_days, settings.question_log, settings.database_url
    )


def _no_log_yet(settings: Settings) -> str:
    return f"No question log yet in {settings.data_dir} (the bot creates it when it runs)."


def cmd_unanswered(args: argparse.Namespace, settings: Settings) -> int:
    engine = _load_engine(settings)
    store = _open_store(settings)
    if store is None:
        print(_no_log_yet(settings))
        return EXIT_OK
    try:
        store.purge_old()
        if args.csv and store.keeps_records:
            print(maintenance.unanswered_csv(engine, store, args.days), end="")
        else:
            print(maintenance.unanswered_text(engine, store, args.days))
    finally:
        store.close()
    return EXIT_OK


def cmd_stats(args: argparse.Namespace, settings: Settings) -> int:
    engine = _load_engine(settings)
    store = _open_store(settings) or NullStore(_no_log_yet(settings))
    try:
        print(maintenance.stats_text(engine, store))
    finally:
        store.close()
    return EXIT_OK


def cmd_health(args: argparse.Namespace, settings: Settings) -> int:
    """The Docker HEALTHCHECK: exit 0 when the running bot is healthy, 1 with the reason."""
    if settings.webhook_url:
        wildcard = settings.webhook_listen in ("0.0.0.0", "::")
        host = "127.0.0.1" if wildcard else settings.webhook_listen
        url = f"http://{host}:{settings.webhook_port}/healthz"
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # the bot on this machine
                healthy, why = response.status == 200, response.read().decode()
        except urllib.error.HTTPError as error:
            healthy, why = False, error.read().decode(errors="replace")
        except OSError as error:
            healthy, why = False, f"{url}: {error}"
    else:
        healthy, why = verdict_from_file(settings.data_dir / HEALTH_FILE)
    print(why, file=sys.stdout if healthy else sys.stderr)
    return EXIT_OK if healthy else EXIT_FAILED


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--knowledge",
        metavar="DIR",
        default=argparse.SUPPRESS,
        help="knowledge folder (default: KNOWLEDGE_DIR or ./knowledge)",
    )
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="Ketamine research FAQ bot. With no command: the Telegram bot when TELEGRAM_BOT_TOKEN is set, otherwise the console chat.",
        parents=[common],
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser(
        "run", parents=[common], help="run the Telegram bot (needs TELEGRAM_BOT_TOKEN)"
    )
    commands.add_parser("chat", parents=[common], help="chat with the bot in the console")
    ask = commands.add_parser("ask", parents=[common], help="answer one question")
    ask.add_argument(
        "question", nargs="?", help="the question (none: read one per line from standard input)"
    )
    ask.add_argument("--json", action="store_true", help="print one JSON object per reply")
    check = commands.add_parser("validate", parents=[common], help="check the knowledge files")
    check.add_argument("directory", nargs="?", help="knowledge folder to check")
    evaluate = commands.add_parser("eval", parents=[common], help="run the evaluation questions")
    evaluate.add_argument(
        "--cases", metavar="FILE", help="eval file (default: eval.yaml of the knowledge)"
    )
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")
    unanswered = commands.add_parser(
        "unanswered",
        parents=[common],
        help="questions the bot could not answer, grouped by similarity",
    )
    unanswered.add_argument("--days", type=int, metavar="N", help="only the last N days")
    unanswered.add_argument("--csv", action="store_true", help="CSV for a spreadsheet")
    commands.add_parser(
        "stats", parents=[common], help="per-entry answers and feedback, and the eval figures"
    )
    commands.add_parser(
        "health", parents=[common], help="is the running bot healthy? (exit 0 or 1; for Docker)"
    )
    return parser


COMMANDS = {
    None: cmd_start,
    "run": cmd_run,
    "chat": cmd_chat,
    "ask": cmd_ask,
    "validate": cmd_validate,
    "eval": cmd_eval,
    "unanswered": cmd_unanswered,
    "stats": cmd_stats,
    "health": cmd_health,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(knowledge=getattr(args, "knowledge", None))
        return COMMANDS[args.command](args, settings)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KnowledgeError as error:
        print(f"error: the knowledge has {len(error.problems)} problem(s):", file=sys.stderr)
        for problem in error.problems:
            print(problem, file=sys.stderr)
        return EXIT_FAILED
