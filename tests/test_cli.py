"""The command line, run as a user runs it: a subprocess, reading stdout and the exit code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURE_KNOWLEDGE

REPO = Path(__file__).resolve().parent.parent


def run_cli(
    *args: str, stdin: str | None = None, env: dict[str, str] | None = None, cwd: Path = REPO
) -> subprocess.CompletedProcess[str]:
    environment = {
        k: v for k, v in os.environ.items() if k not in ("TELEGRAM_BOT_TOKEN", "KNOWLEDGE_DIR")
    }
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env=environment,
        cwd=cwd,
    )


def ask_json(question: str, *extra: str) -> dict[str, object]:
    result = run_cli("ask", "--json", question, *extra)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_ask_json_answer() -> None:
    reply = ask_json("what is esketamine")
    assert reply["kind"] == "answer"
    assert isinstance(reply["entry_id"], str)
    assert isinstance(reply["score"], int | float)
    text = str(reply["text"])
    assert "https://" in text and "not medical advice" in text.lower()
    assert reply["sources"] and all(str(s["url"]).startswith("https://") for s in reply["sources"])  # type: ignore[union-attr,index]
    assert set(reply) == {"kind", "risk", "entry_id", "score", "text", "sources", "suggestions"}


def test_ask_json_crisis() -> None:
    reply = ask_json("I want to kill myself")
    assert reply["kind"] == "crisis"
    assert "988" in str(reply["text"]) and "116 123" in str(reply["text"])
    assert reply["entry_id"] is None


def test_ask_json_off_topic() -> None:
    reply = ask_json("bitcoin price")
    assert reply["kind"] in ("fallback", "suggest")


def test_ask_reads_a_batch_from_stdin_one_json_line_each_in_order() -> None:
    result = run_cli(
        "ask", "--json", stdin="what is esketamine\n\nI want to kill myself\nbitcoin price\n"
    )
    assert result.returncode == 0, result.stderr
    replies = [json.loads(line) for line in result.stdout.splitlines()]
    assert [reply["kind"] for reply in replies] == ["answer", "fallback", "crisis", "fallback"]
    assert replies[0]["entry_id"] == "what-is-esketamine"


def test_ask_with_fixture_knowledge_and_plain_output() -> None:
    result = run_cli("ask", "--knowledge", str(FIXTURE_KNOWLEDGE), "spravato?")
    assert result.returncode == 0
    assert result.stdout.startswith("What is esketamine (Spravato)?")
    assert "https://www.accessdata.fda.gov" in result.stdout
    result = run_cli("ask", "spravato?", env={"KNOWLEDGE_DIR": str(FIXTURE_KNOWLEDGE)})
    assert result.stdout.startswith("What is esketamine (Spravato)?")


def test_console_chat_without_token_is_the_default() -> None:
    result = run_cli(stdin="what is esketamine\n/quit\n", cwd=REPO)
    assert result.returncode == 0, result.stderr
    first_line = result.stdout.splitlines()[0]
    assert "TELEGRAM_BOT_TOKEN" in first_line and "@BotFather" in first_line
    assert "https://" in result.stdout and "not medical advice" in result.stdout.lower()


def test_console_chat_suggestions_can_be_picked_by_number() -> None:
    # The lexical engine's near-tie (the semantic tier may settle it and answer at once).
    question = "ketamine and the brain and spray\n"
    args = ("chat", "--knowledge", str(FIXTURE_KNOWLEDGE))
    listed = run_cli(*args, stdin=question, env={"SEMANTIC": "off"}).stdout
    assert "Did you mean:" in listed
    # Pick the mechanism entry by the number it is listed under, wherever the ranking puts it.
    number = next(
        line.split(".")[0]
        for line in listed.splitlines()
        if line.endswith(". How does ketamine work in the brain?")
    )
    result = run_cli(*args, stdin=f"{question}{number}\n", env={"SEMANTIC": "off"})
    assert "How does ketamine work in the brain?\n\nKetamine blocks NMDA" in result.stdout
    assert result.returncode == 0


def test_validate_shipped_and_broken(tmp_path: Path, knowledge_copy: Path) -> None:
    assert run_cli("validate").returncode == 0
    faq = knowledge_copy / "faq" / "basics.yaml"
    text = faq.read_text()
    text = text.replace("id: nmda-mechanism", "id: what-is-ketamine")
    text = text.replace("sources: [rems]", "sources: [nowhere]")
    text = text.replace("      - glutamate\n", "      - glutamate\n      - [broken\n")
    faq.write_text(text)
    result = run_cli("validate", str(knowledge_copy))
    assert result.returncode == 1
    assert f"{faq}:" in result.stdout or "basics.yaml:" in result.stdout
    assert "YAML syntax error" in result.stdout


def test_validate_reports_each_problem(knowledge_copy: Path) -> None:
    faq = knowledge_copy / "faq" / "basics.yaml"
    text = (
        faq.read_text()
        .replace("id: nmda-mechanism", "id: what-is-ketamine")
        .replace("sources: [rems]", "sources: [nowhere]")
    )
    faq.write_text(text)
    extra = knowledge_copy / "faq" / "broken.yaml"
    extra.write_text("entries:\n  - id: x\n    topic: [oops\n")
    result = run_cli("validate", "--knowledge", str(knowledge_copy))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert any(
        "broken.yaml:3: YAML syntax error" in line or "broken.yaml:4: YAML syntax error" in line
        for line in lines
    ), lines
    assert any(
        "basics.yaml:" in line and "duplicate id 'what-is-ketamine'" in line for line in lines
    )
    assert any("basics.yaml:" in line and "unknown source 'nowhere'" in line for line in lines)


def test_eval_json_figures() -> None:
    result = run_cli("eval", "--json", "--knowledge", str(FIXTURE_KNOWLEDGE))
    figures = json.loads(result.stdout)
    assert {"cases", "accuracy", "top1", "mrr", "false_answers"} <= set(figures)
    assert figures["cases"] == 5
    assert result.returncode == 0


def test_eval_fails_under_the_declared_minimum(tmp_path: Path) -> None:
    cases = tmp_path / "eval.yaml"
    cases.write_text(
        "min_accuracy: 0.99\ncases:\n  - q: what is ketamine\n    expect: nmda-mechanism\n"
    )
    result = run_cli("eval", "--cases", str(cases), "--knowledge", str(FIXTURE_KNOWLEDGE))
    assert result.returncode == 1
    assert "FAIL" in result.stdout and "nmda-mechanism" in result.stdout


@pytest.mark.parametrize("token", ["", "not-a-token", "123:abc def"])
def test_run_needs_a_well_formed_token(token: str) -> None:
    result = run_cli("run", env={"TELEGRAM_BOT_TOKEN": token})
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "TELEGRAM_BOT_TOKEN" in result.stderr and "Traceback" not in result.stderr
    if token:
        assert token not in result.stderr


@pytest.mark.parametrize(
    ("value", "says"), [("0", "at least 1"), ("65", "at most 64"), ("four", "whole number")]
)
def test_run_refuses_a_bad_concurrency_setting(value: str, says: str) -> None:
    result = run_cli("run", env={"TELEGRAM_BOT_TOKEN": "123:abc", "CONCURRENT_UPDATES": value})
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "CONCURRENT_UPDATES" in result.stderr and says in result.stderr


def test_a_missing_knowledge_folder_is_one_clear_error(tmp_path: Path) -> None:
    """The knowledge folder is ./knowledge where the bot starts, or KNOWLEDGE_DIR: elsewhere,
    the error says how to point the bot at it."""
    result = run_cli("ask", "what is esketamine", cwd=tmp_path)
    assert result.returncode == 1
    assert "knowledge folder not found" in result.stderr and "KNOWLEDGE_DIR" in result.stderr
    found = run_cli(
        "ask", "what is esketamine", cwd=tmp_path, env={"KNOWLEDGE_DIR": str(REPO / "knowledge")}
    )
    assert found.returncode == 0 and "Esketamine" in found.stdout
