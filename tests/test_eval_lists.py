"""eval.yaml: a case may name several entries that are all right answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.engine import Engine
from bot.evaluation import run_eval
from bot.knowledge import KnowledgeError, load_eval


def write_eval(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "eval.yaml"
    path.write_text("min_accuracy: 0.5\ncases:\n" + body, encoding="utf-8")
    return path


def test_an_answer_from_any_listed_entry_counts_as_right(
    fixture_engine: Engine, tmp_path: Path
) -> None:
    path = write_eval(
        tmp_path,
        "  - q: what's ketamine\n    expect: [what-is-esketamine, what-is-ketamine]\n",
    )
    report = run_eval(
        fixture_engine, load_eval(path, known_ids={"what-is-ketamine", "what-is-esketamine"})
    )
    (result,) = report.results
    assert result.correct
    assert result.accepted == ("what-is-esketamine", "what-is-ketamine")
    assert result.rank == 1  # the best-placed acceptable entry
    assert report.figures["false_answers"] == 0


def test_an_answer_outside_the_list_is_a_false_answer(
    fixture_engine: Engine, tmp_path: Path
) -> None:
    path = write_eval(
        tmp_path, "  - q: what's ketamine\n    expect: [what-is-esketamine, nmda-mechanism]\n"
    )
    report = run_eval(fixture_engine, load_eval(path))
    (result,) = report.results
    assert not result.correct
    assert report.figures["false_answers"] == 1
    assert result.expected_text == "what-is-esketamine | nmda-mechanism"


def test_a_single_id_still_works(fixture_engine: Engine, tmp_path: Path) -> None:
    path = write_eval(tmp_path, "  - q: what's ketamine\n    expect: what-is-ketamine\n")
    (case,) = load_eval(path).cases
    assert case.expect == "what-is-ketamine"
    assert case.accepted == ("what-is-ketamine",)
    assert run_eval(fixture_engine, load_eval(path)).results[0].correct


@pytest.mark.parametrize(
    "expect", ["[]", "[crisis]", "[what-is-ketamine, 3]", "[what-is-ketamine, null]"]
)
def test_a_list_holds_entry_ids_only(tmp_path: Path, expect: str) -> None:
    path = write_eval(tmp_path, f"  - q: what's ketamine\n    expect: {expect}\n")
    with pytest.raises(KnowledgeError) as error:
        load_eval(path)
    assert "'expect' must be an entry id" in str(error.value)


def test_every_listed_id_must_exist(tmp_path: Path) -> None:
    path = write_eval(tmp_path, "  - q: what's ketamine\n    expect: [what-is-ketamine, nope]\n")
    with pytest.raises(KnowledgeError) as error:
        load_eval(path, known_ids={"what-is-ketamine"})
    assert "unknown entry 'nope'" in str(error.value)
