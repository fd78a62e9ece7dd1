"""`passerelle eval all` and `passerelle eval retrieval`: options, input errors, and a real run on an external FAQ."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from passerelle.cli import app

RUNNER = CliRunner()
DATA = Path(__file__).resolve().parent / "data"


def test_both_commands_are_registered_next_to_triage() -> None:
    result = RUNNER.invoke(app, ["eval", "--help"])
    assert result.exit_code == 0
    assert all(name in result.stdout for name in ("all", "retrieval", "triage"))
    assert "--quick" in RUNNER.invoke(app, ["eval", "all", "--help"]).stdout


def test_a_missing_knowledge_base_is_an_error_not_an_empty_report(tmp_path: Path) -> None:
    queries = tmp_path / "q.jsonl"
    queries.write_text('{"text": "x", "gold": "y"}\n', encoding="utf-8")
    result = RUNNER.invoke(app, ["eval", "retrieval", "--kb", str(tmp_path / "nowhere"), "--queries", str(queries)])
    assert result.exit_code == 2
    assert "nowhere: not found" in result.output


def test_a_missing_queries_file_is_an_error(tmp_path: Path) -> None:
    result = RUNNER.invoke(app, ["eval", "retrieval", "--kb", str(tmp_path), "--queries", str(tmp_path / "q.jsonl")])
    assert result.exit_code == 2
    assert "q.jsonl: not found" in result.output


@pytest.mark.slow
def test_retrieval_on_an_external_faq_compares_every_system_and_writes_the_report(tmp_path: Path) -> None:
    """Slow: trains and serves the Rasa FAQ baseline on the small FAQ (port 5520)."""
    out = tmp_path / "report"
    result = RUNNER.invoke(app, ["eval", "retrieval", "--kb", str(DATA / "external_faq.jsonl"),
                                 "--queries", str(DATA / "external_queries.jsonl"),
                                 "--out-of-scope", str(DATA / "external_out_of_scope.jsonl"), "--out", str(out),
                                 "--rasa-port", "5520"])
    assert result.exit_code == 0, result.output
    figures = json.loads((out / "figures.json").read_text(encoding="utf-8"))
    systems = figures["retrieval"]["systems"]
    assert list(systems) == ["fused", "dense_e5", "dense_st", "lexical", "rasa_faq"]
    assert figures["retrieval"]["queries"] == 10 and figures["retrieval"]["out_of_scope"] == 6
    for name, system in systems.items():
        assert system["overall"]["n"] == 10 and len(system["reliability"]) >= 2, name
        assert system["out_of_scope_rejected"] is not None, name
    # five topics, plainly worded questions: our search must find nearly all of them
    assert systems["fused"]["overall"]["recall@3"] >= 0.9
    assert figures["retrieval"]["built"]["rasa_faq"]["topics"] == 5
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "## Retrieval" in report and "Rasa FAQ (ResponseSelector)" in report
    assert (out / "reliability.png").read_bytes()[:4] == b"\x89PNG"


def test_queries_naming_topics_the_faq_lacks_are_one_clear_error(tmp_path: Path) -> None:
    queries = tmp_path / "q.jsonl"
    queries.write_text('{"text": "ma carte vitale", "gold": "carte-vitale-obtenir"}\n', encoding="utf-8")
    result = RUNNER.invoke(app, ["eval", "retrieval", "--kb", str(DATA / "external_faq.jsonl"), "--queries",
                                 str(queries), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "gold topics not in" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()
